package tester

import (
	"context"
	"encoding/json"
	"time"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/runtime"
)

// Result is the outcome of one test case, as OPA's tester.Result.
//
// A case passes when it ran (Err is nil, Skip is empty) and Fail is false. Fail means the case
// ran and its alerts did not match its expectations, or some of its evaluations failed
// (unless Options.AllowEvalErrors); Diff says how. Err means the case could
// not run: its binding does not compile or drifted, its events file is missing or holds a bad
// line, a parameter override does not fit its type; the error names the file, line and
// column at fault. Skip means the case was not run for a reason that is not the pack's fault:
// its analytic is not in the loaded bundles (stixcel test loads only the seed unless given
// --bundle). A skipped case neither passes nor fails the run.
type Result struct {
	Location diag.Pos      // the test's first key in its binding file
	Analytic string        // the binding's analytic (AN1828), or a Sigma rule's title
	Name     string        // the test's name
	Rule     string        // the Sigma rule's id, for a regression test (RunSigma); "" for a pack's case
	Fail     bool          // the alerts did not match the expectations
	Err      error         // the case could not run
	Skip     string        // why the case was not run, when skipped
	Todo     bool          // skipped because the case is marked todo (not filled in yet)
	Diff     string        // expected and actual alerts, when Fail
	Duration time.Duration // reading events and running the engine (and compiling overrides)
	Events   int           // events processed
	Alerts   []*runtime.Alert
	// EvalErrors are the evaluations that failed while the case ran (counted as false, as
	// in `stixcel run`), by analytic and channel; they fail the case unless
	// Options.AllowEvalErrors.
	EvalErrors []runtime.EvalErrors
}

// ID is the name --run matches: "ANALYTIC/test name".
func (r Result) ID() string { return r.Analytic + "/" + r.Name }

// Passed reports whether the case ran and matched its expectations.
func (r Result) Passed() bool { return !r.Fail && r.Err == nil && r.Skip == "" }

// Skipped reports whether the case was not run, for the reason in Skip.
func (r Result) Skipped() bool { return r.Err == nil && r.Skip != "" }

// MarshalJSON writes the result with Err as a string and Duration in nanoseconds.
func (r Result) MarshalJSON() ([]byte, error) {
	out := struct {
		Location diag.Pos         `json:"location"`
		Analytic string           `json:"analytic"`
		Rule     string           `json:"rule,omitempty"`
		Name     string           `json:"name"`
		Fail     bool             `json:"fail,omitempty"`
		Error    string           `json:"error,omitempty"`
		Skip     string           `json:"skip,omitempty"`
		Diff     string           `json:"diff,omitempty"`
		Duration time.Duration    `json:"duration"`
		Events   int              `json:"events"`
		Alerts   []*runtime.Alert `json:"alerts"`
	}{r.Location, r.Analytic, r.Rule, r.Name, r.Fail, "", r.Skip, r.Diff, r.Duration, r.Events, r.Alerts}
	if r.Err != nil {
		out.Error = r.Err.Error()
	}
	if out.Alerts == nil {
		out.Alerts = []*runtime.Alert{}
	}
	return json.Marshal(out)
}

// Summary counts the results of a run.
type Summary struct {
	Total   int
	Passed  int
	Failed  int // ran and did not match, or failed to evaluate
	Errored int // could not run
	Skipped int // not run: their analytic is not in the loaded bundles
	Todo    int // not run: marked todo, not filled in yet
}

// OK reports whether no case failed or errored (skipped cases do not count here); the CLI
// exits 1 otherwise, and also when no case ran or, unless --allow-skip, a case was skipped.
func (s Summary) OK() bool { return s.Failed == 0 && s.Errored == 0 }

func (s *Summary) add(r Result) {
	s.Total++
	switch {
	case r.Err != nil:
		s.Errored++
	case r.Todo:
		s.Todo++
	case r.Skip != "":
		s.Skipped++
	case r.Fail:
		s.Failed++
	default:
		s.Passed++
	}
}

// PassedAnalytics runs the tests of packs against ix and returns the analytics whose cases
// ran and all passed: what stixcel coverage calls tested.
func PassedAnalytics(ctx context.Context, ix *attack.Index, packs []*pack.Pack) map[string]bool {
	passed, failed := map[string]bool{}, map[string]bool{}
	for r := range NewRunner(ix, Options{}).Run(ctx, packs) {
		switch {
		case r.Passed():
			passed[r.Analytic] = true
		case r.Err != nil || r.Fail:
			failed[r.Analytic] = true
		}
	}
	for id := range failed {
		delete(passed, id)
	}
	return passed
}

// Concat streams the results of each channel in turn, the next once the one before closes;
// the channel it returns closes after the last.
func Concat(chans ...<-chan Result) <-chan Result {
	out := make(chan Result)
	go func() {
		defer close(out)
		for _, ch := range chans {
			for r := range ch {
				out <- r
			}
		}
	}()
	return out
}
