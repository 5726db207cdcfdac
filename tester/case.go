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
	"github.com/stixcel/stixcel/source"
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

// readEvents reads a test's events: its file (mapped by its source profile, if any) or its
// inline list.
func (r *Runner) readEvents(s *suite, tc *pack.TestCase) ([]*event.Event, error) {
	switch {
	case len(tc.Inline) > 0:
		in, pos, err := r.inlineInput(s.b, tc)
		if err != nil {
			return nil, err
		}
		return pumpCase(in, pos)
	case tc.EventsFile.Value == "":
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
	return pumpCase(pump.Input{Name: name, Events: rd}, nil)
}

// pumpCase reads a case's events merged in event time by the pump, as `stixcel run` merges
// them: a test is a set of events, and its alerts must be those run gives on the same lines,
// whatever order they are written in within the lateness. A line run would reject (bad,
// late, out of range) is an error: a test's events must all be valid. inline holds the
// position of each inline event by line - 1 (nil for a file).
func pumpCase(in pump.Input, inline []diag.Pos) ([]*event.Event, error) {
	c := &caseEvents{inline: inline}
	_, err := pump.Run(context.Background(), []pump.Input{in},
		pump.Options{Batch: true, Merge: event.MergeOptions{Lateness: event.DefaultLateness, MaxHeld: event.DefaultBatchHeld}, ReadAhead: -1},
		pump.Handler{Event: c.event, Rejected: c.reject})
	if err != nil {
		return nil, err
	}
	return c.events, c.err()
}

// caseEvents collects a case's events, and its rejected lines described.
type caseEvents struct {
	inline   []diag.Pos
	events   []*event.Event
	bad      []string // the first maxRejections rejections, described
	rejected int
}

func (c *caseEvents) event(_ context.Context, ev *event.Event) error {
	if c.inline != nil {
		ev.Line = c.at(ev.Line).Line // an inline event cites its YAML line
	}
	c.events = append(c.events, ev)
	return nil
}

func (c *caseEvents) reject(_ context.Context, rej *event.Rejection) error {
	if c.rejected++; len(c.bad) >= maxRejections {
		return nil
	}
	text := rej.Error()
	if c.inline != nil {
		text = fmt.Sprintf("%s: %s", c.at(rej.Line), strings.TrimPrefix(text, fmt.Sprintf("%s:%d: ", rej.File, rej.Line)))
	}
	c.bad = append(c.bad, text)
	return nil
}

// at is the position of the inline event read as line.
func (c *caseEvents) at(line int) diag.Pos {
	if line < 1 || line > len(c.inline) {
		return diag.Pos{Line: line} // not an inline event's line: cannot happen
	}
	return c.inline[line-1]
}

// err lists the rejected lines, if any.
func (c *caseEvents) err() error {
	if c.rejected == 0 {
		return nil
	}
	bad := c.bad
	if c.rejected > len(bad) {
		bad = append(bad, fmt.Sprintf("... and %d more bad lines", c.rejected-len(bad)))
	}
	return errors.New(strings.Join(bad, "\n"))
}

// reader returns a reader of normalized events (and of the raw shapes the built-in profiles
// recognise), or of raw events mapped by tc.Source.
func (r *Runner) reader(tc *pack.TestCase, f io.Reader, name string) (*event.Reader, error) {
	if tc.Source.Value == "" {
		return event.NewReader(f, name, source.NewImplied(r.implied...)), nil
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
