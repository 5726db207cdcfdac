package tester

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// maxRejections is how many bad event lines an error lists.
const maxRejections = 10

// runCase runs one test case; it never panics on bad input.
func (r *Runner) runCase(s *suite, tc *pack.TestCase) Result {
	start := time.Now()
	res := Result{Location: tc.Pos, Analytic: s.b.Analytic.Value, Name: tc.Name.Value}
	if res.Location.File == "" {
		res.Location.File = s.b.File
	}
	res.Err, res.Skip = s.err, s.skip
	if res.Err == nil && res.Skip == "" && tc.Todo.Value != "" {
		res.Skip, res.Todo = "TODO: "+tc.Todo.Value, true
	}
	if res.Err == nil && res.Skip == "" {
		r.runEvents(s, tc, &res)
	}
	res.Duration = time.Since(start)
	return res
}

func (r *Runner) runEvents(s *suite, tc *pack.TestCase, res *Result) {
	p, err := withOverrides(s.plan, tc.Params)
	if err != nil {
		res.Err = err
		return
	}
	events, err := r.readEvents(s, tc)
	if err == nil {
		err = checkLateness(events)
	}
	if err != nil {
		res.Err = err
		return
	}
	eng, err := runtime.New(&plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{p}}, r.opts.Engine...)
	if err != nil {
		res.Err = fmt.Errorf("%s: %w", tc.Pos, err)
		return
	}
	emit := func(o runtime.Output) {
		if a, ok := o.(*runtime.Alert); ok {
			res.Alerts = append(res.Alerts, a)
		}
	}
	for _, ev := range inEventTimeOrder(events) {
		eng.Process(context.Background(), ev, emit)
	}
	eng.Flush(emit)
	res.Events = len(events)
	stats := eng.Stats()
	res.EvalErrors = stats.ErrorsBy
	if diff, ok := compare(tc, res.Alerts, stats); !ok {
		res.Fail, res.Diff = true, diff
	}
}

// inEventTimeOrder sorts a test's events as `stixcel run` merges them (event.Before): a test
// is a set of events, and its alerts must be those `run` gives on the same lines, whatever
// order they are written in. readEvents has refused events later than the lateness.
func inEventTimeOrder(events []*event.Event) []*event.Event {
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, event.Compare)
	return sorted
}

// withOverrides returns p with the test's parameter values, set as a profile sets them
// (plan.Plan.SetParam); p itself is shared and left alone.
func withOverrides(p *plan.Plan, settings []*pack.Setting) (*plan.Plan, error) {
	if len(settings) == 0 {
		return p, nil
	}
	cp := *p
	cp.Params = make([]*plan.Param, len(p.Params))
	for i, prm := range p.Params {
		c := *prm
		cp.Params[i] = &c
	}
	var errs []error
	for _, set := range settings {
		pos := set.ValuePos
		if cp.Param(set.Name.Value) == nil {
			pos = set.Name.Pos
		}
		if err := cp.SetParam(set.Name.Value, set.Value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", pos, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &cp, nil
}

// readEvents reads a test's events: its file (mapped by its source profile, if any) or its
// inline list. A bad line is an error: a test's events must all be valid.
func (r *Runner) readEvents(s *suite, tc *pack.TestCase) ([]*event.Event, error) {
	if len(tc.Inline) > 0 {
		return r.inlineEvents(s.b, tc)
	}
	if tc.EventsFile.Value == "" {
		return nil, nil // no events: only an expect: [] case can pass
	}
	f, name, err := s.pack.OpenEvents(s.b, tc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tc.EventsFile.Pos, err)
	}
	defer f.Close()
	rd, err := r.reader(tc, f, name)
	if err != nil {
		return nil, err
	}
	return drain(rd, func(rej *event.Rejection) string { return rej.Error() })
}

// checkLateness refuses events that `stixcel run` would reject as late: more than
// event.DefaultLateness older than an event written before them.
func checkLateness(events []*event.Event) error {
	var latest time.Time
	var bad []string
	for _, ev := range events {
		if behind := latest.Sub(ev.Time); behind > event.DefaultLateness {
			bad = append(bad, fmt.Sprintf("%s:%d: late by %s: `stixcel run` takes events out of order by at most %s", ev.Source, ev.Line, behind, event.DefaultLateness))
		}
		if ev.Time.After(latest) {
			latest = ev.Time
		}
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "\n"))
	}
	return nil
}

// reader returns a reader of normalized events, or of raw events mapped by tc.Source.
func (r *Runner) reader(tc *pack.TestCase, f io.Reader, name string) (*event.Reader, error) {
	if tc.Source.Value == "" {
		return event.NewReader(f, name, nil), nil
	}
	rd, err := r.opts.Sources(tc.Source.Value, f, name)
	if err != nil {
		return nil, fmt.Errorf("%s: source %q: %w", tc.Source.Pos, tc.Source.Value, err)
	}
	return rd, nil
}

// inlineEvents reads events written in the test; each cites its YAML line.
func (r *Runner) inlineEvents(b *pack.Binding, tc *pack.TestCase) ([]*event.Event, error) {
	var events []*event.Event
	var bad []string
	for _, in := range tc.Inline {
		rd, err := r.reader(tc, bytes.NewReader(in.JSON), b.File)
		if err != nil {
			return nil, err
		}
		evs, err := drain(rd, func(rej *event.Rejection) string {
			return fmt.Sprintf("%s: %s", in.Pos, strings.TrimPrefix(rej.Error(), fmt.Sprintf("%s:%d: ", rej.File, rej.Line)))
		})
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		for _, ev := range evs {
			ev.Line = in.Pos.Line
		}
		events = append(events, evs...)
	}
	if len(bad) > 0 {
		return nil, errors.New(strings.Join(bad, "\n"))
	}
	return events, nil
}

// drain reads every event of rd; rejections make an error listing the first few.
func drain(rd *event.Reader, describe func(*event.Rejection) string) ([]*event.Event, error) {
	var events []*event.Event
	var bad []string
	rejected := 0
	for {
		ev, rej, err := rd.Next()
		switch {
		case errors.Is(err, io.EOF):
			if rejected > 0 {
				if rejected > len(bad) {
					bad = append(bad, fmt.Sprintf("... and %d more bad lines", rejected-len(bad)))
				}
				return nil, errors.New(strings.Join(bad, "\n"))
			}
			return events, nil
		case err != nil:
			return nil, err
		case rej != nil:
			rejected++
			if len(bad) < maxRejections {
				bad = append(bad, describe(rej))
			}
		default:
			events = append(events, ev)
		}
	}
}
