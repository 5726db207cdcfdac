package tester

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Reporter receives the results of a run as they come, then the summary.
type Reporter interface {
	// Result reports one case.
	Result(r Result) error
	// End reports the end of the run.
	End(s Summary) error
}

// Report feeds every result to each reporter, in order, and ends them with the summary. It
// reads results until the channel closes, even after a reporter fails, and returns the
// summary with the reporters' first error.
func Report(results <-chan Result, reporters ...Reporter) (Summary, error) {
	var sum Summary
	var errs []error
	for r := range results {
		sum.add(r)
		for _, rep := range reporters {
			if err := rep.Result(r); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, rep := range reporters {
		if err := rep.End(sum); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return sum, fmt.Errorf("report: %w", errs[0])
	}
	return sum, nil
}

// Pretty writes results as `go test` does: one line per failing case,
//
//	analytics/mobile/AN1828.yaml:57: FAIL AN1828/locked device beacons TLS on 4444
//
// followed by its diff (or, for a case that could not run, ERROR and the error), indented;
// then PASS: n/m, FAIL: n/m, ERROR: n/m and SKIP: n/m lines for the counts that are not zero,
// as `opa test` does. The SKIP line names the analytics that were not in the loaded bundles,
// each once, sorted, the first maxSkippedListed of them:
//
//	SKIP: 34/39 (analytics not in the loaded bundles: AN0165, AN0235, ...; pass --bundle)
type Pretty struct {
	Output io.Writer
	// Verbose lists passing and skipped cases too.
	Verbose bool
	// Durations appends each listed case's duration.
	Durations bool

	skipped map[string]bool // analytics of the skipped cases
}

// maxSkippedListed is how many skipped analytics the summary names.
const maxSkippedListed = 10

// Result implements Reporter.
func (p *Pretty) Result(r Result) error {
	if p.Output == nil {
		return errors.New("pretty reporter: no output")
	}
	status := "PASS"
	detail := ""
	switch {
	case r.Err != nil:
		status, detail = "ERROR", r.Err.Error()
	case r.Todo:
		status, detail = "TODO", r.Skip
	case r.Skip != "":
		p.noteSkipped(r.Analytic)
		if !p.Verbose {
			return nil
		}
		status = "SKIP" // the summary says why, once
	case r.Fail:
		status, detail = "FAIL", r.Diff
	case !p.Verbose:
		return nil
	}
	var b strings.Builder
	loc := r.Location
	loc.Col = 0 // go test style: file:line
	fmt.Fprintf(&b, "%s: %s %s", loc, status, r.ID())
	if p.Durations {
		fmt.Fprintf(&b, " (%s)", r.Duration.Round(time.Microsecond))
	}
	b.WriteByte('\n')
	for _, line := range strings.Split(detail, "\n") {
		if line != "" {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	_, err := io.WriteString(p.Output, b.String())
	return err
}

// End implements Reporter.
func (p *Pretty) End(s Summary) error {
	if p.Output == nil {
		return errors.New("pretty reporter: no output")
	}
	var b strings.Builder
	if s.Total == 0 {
		b.WriteString("no test cases found\n")
	} else {
		if s.Failed > 0 || s.Errored > 0 || p.Verbose { // cases were listed above
			b.WriteString(strings.Repeat("-", 80) + "\n")
		}
		for _, c := range []struct {
			label string
			n     int
		}{{"PASS", s.Passed}, {"FAIL", s.Failed}, {"ERROR", s.Errored}} {
			if c.n > 0 {
				fmt.Fprintf(&b, "%s: %d/%d\n", c.label, c.n, s.Total)
			}
		}
		if s.Todo > 0 {
			fmt.Fprintf(&b, "TODO: %d/%d (fill them in and remove todo)\n", s.Todo, s.Total)
		}
		if s.Skipped > 0 {
			fmt.Fprintf(&b, "SKIP: %d/%d (%s; pass --bundle)\n", s.Skipped, s.Total, p.skippedAnalytics())
		}
	}
	_, err := io.WriteString(p.Output, b.String())
	return err
}

func (p *Pretty) noteSkipped(analytic string) {
	if p.skipped == nil {
		p.skipped = map[string]bool{}
	}
	p.skipped[analytic] = true
}

// skippedAnalytics names the analytics of the skipped cases: "analytics not in the loaded
// bundles: AN0165, AN0235 and 3 more".
func (p *Pretty) skippedAnalytics() string {
	ids := slices.Sorted(maps.Keys(p.skipped))
	noun := "analytics"
	if len(ids) == 1 {
		noun = "analytic"
	}
	text := noun + " not in the loaded bundles"
	if len(ids) == 0 {
		return text
	}
	more := ""
	if len(ids) > maxSkippedListed {
		more = fmt.Sprintf(" and %d more", len(ids)-maxSkippedListed)
		ids = ids[:maxSkippedListed]
	}
	return text + ": " + strings.Join(ids, ", ") + more
}

// JSON writes all results as one indented JSON array at the end of the run, as
// `opa test --format json` does.
type JSON struct {
	Output  io.Writer
	results []Result
}

// Result implements Reporter.
func (j *JSON) Result(r Result) error {
	j.results = append(j.results, r)
	return nil
}

// End implements Reporter.
func (j *JSON) End(Summary) error {
	if j.Output == nil {
		return errors.New("json reporter: no output")
	}
	out := j.results
	if out == nil {
		out = []Result{}
	}
	enc := json.NewEncoder(j.Output)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
