package tester

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/golden"
	"github.com/stixcel/stixcel/pack"
)

const (
	outcomePass  = "pass"
	outcomeFail  = "fail"
	outcomeError = "error"
	outcomeSkip  = "skip"
)

func outcome(r Result) string {
	switch {
	case r.Err != nil:
		return outcomeError
	case r.Skip != "":
		return outcomeSkip
	case r.Fail:
		return outcomeFail
	}
	return outcomePass
}

// testPacks are the testdata packs: every outcome for AN1828, and a pack that does not
// compile (binding the same analytic, plus one the seed lacks).
func testPacks(t *testing.T) []*pack.Pack {
	t.Helper()
	good, broken := pack.FromDir(filepath.Join("testdata", "pack")), pack.FromDir(filepath.Join("testdata", "broken"))
	require.Empty(t, good.Diagnostics)
	require.Empty(t, broken.Diagnostics)
	return []*pack.Pack{good, broken}
}

func TestRunOutcomes(t *testing.T) {
	results := collect(t, NewRunner(seedIndex(t), Options{}), testPacks(t)...)
	byID := map[string]Result{}
	for _, r := range results {
		byID[r.Location.File+" "+r.ID()] = r
	}
	const good, broken = "testdata/pack/mobile/AN1828.yaml ", "testdata/broken/"
	tests := []struct {
		name    string
		id      string
		want    string
		alerts  int
		events  int      // checked when not 0
		message []string // substrings of the diff, error or skip reason
	}{
		{name: "alert as expected", id: good + "AN1828/locked device on 4444 alerts", want: outcomePass, alerts: 1},
		{name: "expected alert does not come", id: good + "AN1828/expected alert does not come", want: outcomeFail,
			message: []string{"want 1 alert, got 0 alerts: 1 missing", `- AN1828 group {"device_id": "ios-1"} (expected at testdata/pack/mobile/AN1828.yaml:24:14)`}},
		{name: "unexpected extra alert", id: good + "AN1828/unexpected extra alert", want: outcomeFail, alerts: 2,
			message: []string{"1 unexpected", `+ AN1828 group {"device_id": "ios-2"} first 2026-03-20T09:00:05Z last 2026-03-20T09:02:30Z channels c1=1 c4=1`}},
		{name: "events file missing", id: good + "AN1828/events file missing", want: outcomeError,
			message: []string{"testdata/pack/mobile/AN1828.yaml:29:13: events file testdata/pack/mobile/tests/no_such_file.jsonl"}},
		{name: "bad param override", id: good + "AN1828/bad param override", want: outcomeError,
			message: []string{"testdata/pack/mobile/AN1828.yaml:33:26: param TimeWindow (duration)", "10 parsecs",
				"testdata/pack/mobile/AN1828.yaml:33:38: analytic AN1828 has no parameter NoSuchParam"}},
		{name: "window follows its parameter", id: good + "AN1828/shorter window stays silent", want: outcomePass},
		{name: "inline events, loose expectation", id: good + "AN1828/inline events of two devices", want: outcomePass, alerts: 2},
		{name: "bad inline event", id: good + "AN1828/inline event without log_source", want: outcomeError,
			message: []string{"testdata/pack/mobile/AN1828.yaml:50:9: missing log_source"}},
		{name: "bad line in events file", id: good + "AN1828/events file with a bad line", want: outcomeError,
			message: []string{"testdata/pack/mobile/tests/bad_line.jsonl:2: invalid time"}},
		{name: "raw events through the windows profile", id: good + "AN1828/raw windows events stay silent", want: outcomePass, events: 2},
		{name: "raw Windows events need no source", id: good + "AN1828/Windows event JSON needs no source", want: outcomePass, events: 2},
		{name: "unknown source profile", id: good + "AN1828/unknown source profile", want: outcomeError,
			message: []string{`testdata/pack/mobile/AN1828.yaml:60:13: source "syslog": no built-in source profile "syslog"`}},
		{name: "events in event-time order, as run merges them", id: good + "AN1828/events out of order within the lateness", want: outcomePass, alerts: 1},
		{name: "events far out of order are sorted, as run sorts a batch", id: good + "AN1828/events far out of order", want: outcomePass},
		{name: "binding does not compile", id: broken + "AN1828.yaml AN1828/never runs", want: outcomeError,
			message: []string{"binding does not compile", "testdata/broken/AN1828.yaml:6:24: error: analytic AN1828 condition: undefined field 'NoSuchParam'"}},
		{name: "analytic not in the bundles is skipped", id: broken + "AN9999.yaml AN9999/nothing to test against", want: outcomeSkip,
			message: []string{"analytic AN9999 is not in the loaded bundles (pass --bundle with the ATT&CK bundle that has it)"}},
	}
	require.Len(t, results, len(tests), "one result per case")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := byID[tc.id]
			require.True(t, ok, "no result %q", tc.id)
			assert.Equal(t, tc.want, outcome(r), "outcome of %s: err=%v diff=%s", tc.id, r.Err, r.Diff)
			assert.Len(t, r.Alerts, tc.alerts, "alerts")
			if tc.events != 0 {
				assert.Equal(t, tc.events, r.Events, "events")
			}
			text := r.Diff + r.Skip
			if r.Err != nil {
				text = r.Err.Error()
			}
			for _, m := range tc.message {
				assert.Contains(t, text, m)
			}
		})
	}
}

func TestPrettyGolden(t *testing.T) {
	tests := []struct {
		name    string
		verbose bool
		golden  string
	}{
		{name: "failures only", golden: "pretty.golden"},
		{name: "verbose", verbose: true, golden: "pretty_verbose.golden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			sum, err := Report(NewRunner(seedIndex(t), Options{}).Run(context.Background(), testPacks(t)),
				&Pretty{Output: &out, Verbose: tc.verbose})
			require.NoError(t, err)
			assert.Equal(t, Summary{Total: 16, Passed: 7, Failed: 2, Errored: 6, Skipped: 1}, sum)
			assert.False(t, sum.OK())
			golden.Check(t, filepath.Join("testdata", tc.golden), out.Bytes())
		})
	}
}

func TestRunFilter(t *testing.T) {
	tests := []struct {
		name string
		run  string
		want []string
	}{
		{name: "every case", run: "", want: nil},
		{name: "one case by name", run: "inline events of two", want: []string{"AN1828/inline events of two devices"}},
		{name: "by analytic", run: "^AN9999/", want: []string{"AN9999/nothing to test against"}},
		{name: "cases of both packs binding AN1828", run: `^AN1828/(shorter.*silent|never runs)`,
			want: []string{"AN1828/shorter window stays silent", "AN1828/never runs"}},
		{name: "nothing", run: "no such test", want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts Options
			if tc.run != "" {
				opts.Run = regexp.MustCompile(tc.run)
			}
			got := []string{}
			for _, r := range collect(t, NewRunner(seedIndex(t), opts), testPacks(t)...) {
				got = append(got, r.ID())
			}
			if tc.want == nil {
				assert.Len(t, got, 16)
				return
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestJUnit(t *testing.T) {
	var out bytes.Buffer
	_, err := Report(NewRunner(seedIndex(t), Options{}).Run(context.Background(), testPacks(t)),
		&JUnit{Output: &out, Name: "stixcel test"})
	require.NoError(t, err)
	var doc struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
			Cases []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Time      string `xml:"time,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(out.Bytes(), &doc), out.String())
	assert.Equal(t, "stixcel test", doc.Name)
	assert.Equal(t, 16, doc.Tests)
	assert.Equal(t, 2, doc.Failures)
	assert.Equal(t, 6, doc.Errors)
	assert.Equal(t, 1, doc.Skipped)
	suites := map[string]int{}
	cases := 0
	for _, s := range doc.Suites {
		suites[s.Name] = s.Tests
		for _, c := range s.Cases {
			cases++
			assert.NotEmpty(t, c.Time, c.Name)
			if c.Name == "nothing to test against" {
				assert.Equal(t, "AN9999", c.Classname)
				require.NotNil(t, c.Skipped)
				assert.Nil(t, c.Error)
				assert.Equal(t, "analytic AN9999 is not in the loaded bundles (pass --bundle with the ATT&CK bundle that has it)", c.Skipped.Message)
				continue
			}
			assert.Equal(t, "AN1828", c.Classname, c.Name)
			assert.Nil(t, c.Skipped, c.Name)
			if c.Name == "unexpected extra alert" {
				require.NotNil(t, c.Failure)
				assert.Equal(t, "want 1 alert, got 2 alerts: 1 unexpected", c.Failure.Message)
				assert.Contains(t, c.Failure.Text, `+ AN1828 group {"device_id": "ios-2"}`)
			}
		}
	}
	assert.Equal(t, 16, cases)
	assert.Equal(t, map[string]int{
		"testdata/pack/mobile/AN1828.yaml": 14, "testdata/broken/AN1828.yaml": 1, "testdata/broken/AN9999.yaml": 1,
	}, suites)
}

func TestJSONReporter(t *testing.T) {
	var out bytes.Buffer
	_, err := Report(NewRunner(seedIndex(t), Options{Run: regexp.MustCompile("locked device|file missing|nothing to test")}).
		Run(context.Background(), testPacks(t)), &JSON{Output: &out})
	require.NoError(t, err)
	var got []struct {
		Location struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"location"`
		Analytic string            `json:"analytic"`
		Name     string            `json:"name"`
		Fail     bool              `json:"fail"`
		Error    string            `json:"error"`
		Skip     string            `json:"skip"`
		Alerts   []json.RawMessage `json:"alerts"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
	require.Len(t, got, 3)
	assert.Equal(t, "locked device on 4444 alerts", got[0].Name)
	assert.Equal(t, 18, got[0].Location.Line)
	assert.Empty(t, got[0].Error)
	assert.Empty(t, got[0].Skip)
	assert.Len(t, got[0].Alerts, 1)
	assert.Equal(t, "events file missing", got[1].Name)
	assert.Contains(t, got[1].Error, "no_such_file.jsonl")
	assert.Empty(t, got[1].Skip)
	assert.Equal(t, "nothing to test against", got[2].Name)
	assert.Empty(t, got[2].Error)
	assert.Contains(t, got[2].Skip, "analytic AN9999 is not in the loaded bundles")
	assert.NotContains(t, out.String(), `"skip": ""`, "skip is left out when empty")
}

func TestSourceMapper(t *testing.T) {
	// A stand-in profile that ignores the raw events and yields a locked, beaconing device.
	const mapped = `{"time":"2026-03-20T09:00:00Z","log_source":"MobileEDR:telemetry","device_id":"ios-5","DeviceLockState":"locked"}
{"time":"2026-03-20T09:00:01Z","log_source":"VPN:MobileProxy","device_id":"ios-5","dst_port":4444,"protocol":"tls"}`
	called := ""
	opts := Options{
		Run: regexp.MustCompile("raw windows events"),
		Sources: func(profile string, _ io.Reader, name string) (*event.Reader, error) {
			called = profile
			return event.NewReader(strings.NewReader(mapped), name, nil), nil
		},
	}
	results := collect(t, NewRunner(seedIndex(t), opts), testPacks(t)...)
	require.Len(t, results, 1)
	assert.Equal(t, "windows", called)
	assert.Equal(t, outcomeFail, outcome(results[0]), "the mapped events alert, the test expects none")
	assert.Contains(t, results[0].Diff, `+ AN1828 group {"device_id": "ios-5"}`)
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := NewRunner(seedIndex(t), Options{}).Run(ctx, testPacks(t))
	<-ch
	cancel()
	n := 0
	for range ch {
		n++
	}
	assert.Less(t, n, 11, "results after cancel")
}

func TestPrettyNoCases(t *testing.T) {
	var out bytes.Buffer
	sum, err := Report(NewRunner(seedIndex(t), Options{Run: regexp.MustCompile("^$")}).Run(context.Background(), testPacks(t)),
		&Pretty{Output: &out})
	require.NoError(t, err)
	assert.Equal(t, Summary{}, sum)
	assert.Equal(t, "no test cases found\n", out.String())
	assert.True(t, strings.HasSuffix(out.String(), "\n"))
}

func TestDriftedBinding(t *testing.T) {
	p := pack.FromDir(filepath.Join("testdata", "drift"))
	require.Empty(t, p.Diagnostics)
	results := collect(t, NewRunner(seedIndex(t), Options{}), p)
	require.Len(t, results, 1)
	require.Error(t, results[0].Err)
	msg := results[0].Err.Error()
	assert.Contains(t, msg, "binding does not compile")
	assert.Contains(t, msg, "binding written for version 0.9 does not fit version 1.1")
	assert.Contains(t, msg, "testdata/drift/AN1828.yaml:8:12: error: analytic AN1828 condition: undeclared reference to 'c9'",
		"a CEL error stays an error under drift")
	assert.Contains(t, msg, "warning: analytic AN1828 has 7 log source references (c1..c7); there is no channel c9",
		"drift makes the other problems warnings")
}

func TestLoadErrorsFailTheBindingsTests(t *testing.T) {
	p := pack.FromDir(filepath.Join("testdata", "pack"))
	p.Diagnostics.Errorf(diag.Pos{File: p.Bindings[0].File, Line: 3, Col: 1}, "stixcel_bad_shape", "made up")
	results := collect(t, NewRunner(seedIndex(t), Options{Run: regexp.MustCompile("locked device on 4444")}), p)
	require.Len(t, results, 1)
	require.Error(t, results[0].Err)
	assert.Contains(t, results[0].Err.Error(), "binding does not load:\ntestdata/pack/mobile/AN1828.yaml:3:1: error: made up")
}

func TestNoIndexNoPanic(t *testing.T) {
	results := collect(t, NewRunner(nil, Options{}), nil, pack.FromDir(filepath.Join("testdata", "drift")))
	require.Len(t, results, 1)
	assert.EqualError(t, results[0].Err, "no ATT&CK index to compile the binding against")
}
