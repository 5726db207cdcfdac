package tester

import (
	"encoding/json"
	"time"

	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// Result is the outcome of one test case, as OPA's tester.Result.
//
// A case passes when Fail is false and Err is nil. Fail means the case ran and its alerts did
// not match its expectations (Diff says how). Err means the case could not run: its binding
// does not compile, its events file is missing or holds a bad line, a parameter override does
// not fit its type; the error names the file, line and column at fault.
type Result struct {
	Location plan.Pos      // the test's first key in its binding file
	Analytic string        // the binding's analytic (AN1828)
	Name     string        // the test's name
	Fail     bool          // the alerts did not match the expectations
	Err      error         // the case could not run
	Diff     string        // expected and actual alerts, when Fail
	Duration time.Duration // reading events and running the engine (and compiling overrides)
	Events   int           // events processed
	Alerts   []*runtime.Alert
}

// ID is the name --run matches: "ANALYTIC/test name".
func (r Result) ID() string { return r.Analytic + "/" + r.Name }

// Passed reports whether the case ran and matched its expectations.
func (r Result) Passed() bool { return !r.Fail && r.Err == nil }

// MarshalJSON writes the result with Err as a string and Duration in nanoseconds.
func (r Result) MarshalJSON() ([]byte, error) {
	out := struct {
		Location plan.Pos         `json:"location"`
		Analytic string           `json:"analytic"`
		Name     string           `json:"name"`
		Fail     bool             `json:"fail,omitempty"`
		Error    string           `json:"error,omitempty"`
		Diff     string           `json:"diff,omitempty"`
		Duration time.Duration    `json:"duration"`
		Events   int              `json:"events"`
		Alerts   []*runtime.Alert `json:"alerts"`
	}{r.Location, r.Analytic, r.Name, r.Fail, "", r.Diff, r.Duration, r.Events, r.Alerts}
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
	Failed  int // ran and did not match
	Errored int // could not run
}

// OK reports whether every case passed; the CLI exits 1 otherwise.
func (s Summary) OK() bool { return s.Failed == 0 && s.Errored == 0 }

func (s *Summary) add(r Result) {
	s.Total++
	switch {
	case r.Err != nil:
		s.Errored++
	case r.Fail:
		s.Failed++
	default:
		s.Passed++
	}
}
