package tester

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stixcel/stixcel/diag"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
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
	for _, ev := range events {
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

// readEvents reads a test's events, its file (mapped by its source profile, if any) or its
// inline list, merged in event time by the pump as `stixcel run` merges them: a test is a set
// of events, and its alerts must be those run gives on the same lines, whatever order they
// are written in within the lateness. A line run would reject (bad, late, out of range) is
// an error: a test's events must all be valid.
func (r *Runner) readEvents(s *suite, tc *pack.TestCase) ([]*event.Event, error) {
	var in pump.Input
	var err error
	describe := func(rej *event.Rejection) string { return rej.Error() }
	var inline []diag.Pos // the position of each inline event, by line - 1
	switch {
	case len(tc.Inline) > 0:
		in, inline, err = r.inlineInput(s.b, tc)
		describe = func(rej *event.Rejection) string {
			return fmt.Sprintf("%s: %s", inline[rej.Line-1], strings.TrimPrefix(rej.Error(), fmt.Sprintf("%s:%d: ", rej.File, rej.Line)))
		}
	case tc.EventsFile.Value == "":
		return nil, nil // no events: only an expect: [] case can pass
	default:
		f, name, err := s.pack.OpenEvents(s.b, tc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tc.EventsFile.Pos, err)
		}
		defer f.Close()
		in.Name = name
		in.Events, err = r.reader(tc, f, name)
		if err != nil {
			return nil, err
		}
	}
	if err != nil {
		return nil, err
	}
	var events []*event.Event
	var bad []string
	rejected := 0
	_, err = pump.Run(context.Background(), []pump.Input{in},
		pump.Options{Merge: event.MergeOptions{Lateness: event.DefaultLateness}, ReadAhead: -1}, pump.Handler{
			Event: func(_ context.Context, ev *event.Event) error {
				if inline != nil {
					ev.Line = inline[ev.Line-1].Line
				}
				events = append(events, ev)
				return nil
			},
			Rejected: func(_ context.Context, rej *event.Rejection) error {
				if rejected++; len(bad) < maxRejections {
					bad = append(bad, describe(rej))
				}
				return nil
			},
		})
	switch {
	case err != nil:
		return nil, err
	case rejected > len(bad):
		bad = append(bad, fmt.Sprintf("... and %d more bad lines", rejected-len(bad)))
	}
	if len(bad) > 0 {
		return nil, errors.New(strings.Join(bad, "\n"))
	}
	return events, nil
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

// inlineInput is the input of events written in the test, one JSON line each, with each
// event's YAML position by line - 1 (an event cites its YAML line).
func (r *Runner) inlineInput(b *pack.Binding, tc *pack.TestCase) (pump.Input, []diag.Pos, error) {
	var text bytes.Buffer
	pos := make([]diag.Pos, len(tc.Inline))
	for i, in := range tc.Inline {
		text.Write(in.JSON) // json.Marshal: one line
		text.WriteByte('\n')
		pos[i] = in.Pos
	}
	rd, err := r.reader(tc, &text, b.File)
	return pump.Input{Name: b.File, Events: rd}, pos, err
}
