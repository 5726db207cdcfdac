package tester

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"
)

// JUnit writes the results as JUnit XML at the end of the run, for CI systems: one
// testsuite per binding file, one testcase per case with the analytic as classname and the
// test's name as name. A failing case has a failure whose message is the diff's first line
// and whose text is the whole diff; a case that could not run has an error instead, and a
// skipped case a skipped element whose message is the reason.
type JUnit struct {
	Output io.Writer
	// Name names the testsuites element, e.g. "stixcel test".
	Name   string
	suites []junit.Testsuite
	times  []time.Duration // per suite
	index  map[string]int  // binding file → position in suites
	total  time.Duration
}

// Result implements Reporter.
func (j *JUnit) Result(r Result) error {
	if j.index == nil {
		j.index = map[string]int{}
	}
	file := r.Location.File
	i, ok := j.index[file]
	if !ok {
		i = len(j.suites)
		j.index[file] = i
		j.suites = append(j.suites, junit.Testsuite{Name: file, File: file, ID: i})
		j.times = append(j.times, 0)
	}
	tc := junit.Testcase{Name: r.Name, Classname: r.Analytic, Time: seconds(r.Duration)}
	switch {
	case r.Err != nil:
		msg := r.Err.Error()
		tc.Error = &junit.Result{Message: firstLine(msg), Type: "error", Data: msg}
	case r.Skip != "":
		tc.Skipped = &junit.Result{Message: r.Skip}
	case r.Fail:
		tc.Failure = &junit.Result{Message: firstLine(r.Diff), Type: "failure", Data: r.Diff}
	}
	j.suites[i].AddTestcase(tc)
	j.times[i] += r.Duration
	j.suites[i].Time = seconds(j.times[i])
	j.total += r.Duration
	return nil
}

// End implements Reporter: it writes the XML document.
func (j *JUnit) End(Summary) error {
	if j.Output == nil {
		return errors.New("junit reporter: no output")
	}
	doc := junit.Testsuites{Name: j.Name, Time: seconds(j.total)}
	for _, s := range j.suites {
		doc.AddSuite(s)
	}
	if err := doc.WriteXML(j.Output); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	return nil
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
