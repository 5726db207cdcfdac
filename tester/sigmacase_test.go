package tester_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/sigma/planner"
	"github.com/stixcel/stixcel/tester"
)

// sigmaRepo writes a SigmaHQ-shaped repository under dir: rules/windows/evil.yml, a
// process_creation rule (logsource replaced when given) naming regression_tests_path (the
// info.yml's path, from the root), the info.yml with the given tests block, and the tests'
// events as evtx_dump JSON with no .evtx beside it (evil.json: a Sysmon process creation of
// C:\evil.exe and one of C:\good.exe), but for damaged.evtx, a truncated EVTX file beside
// JSON that matches. It returns the rule file.
func sigmaRepo(t *testing.T, dir, logsource, infoPath, tests string) string {
	t.Helper()
	if logsource == "" {
		logsource = "category: process_creation\n    product: windows"
	}
	rule := "title: Evil Process\nid: 5b6f1b8e-6c5e-4b7a-9d7e-2f1c3a4b5c6d\nstatus: test\nlevel: high\nlogsource:\n    " + logsource +
		"\ndetection:\n    selection:\n        Image|endswith: '\\evil.exe'\n    condition: selection\n" +
		"tags:\n    - attack.execution\n    - attack.t1059\nregression_tests_path: " + infoPath + "\n"
	event := func(image string, record int) string {
		return `{"Event": {"System": {"EventID": 1, "EventRecordID": ` + string(rune('0'+record)) + `, "Channel": "Microsoft-Windows-Sysmon/Operational", ` +
			`"Computer": "ws1", "TimeCreated": {"#attributes": {"SystemTime": "2026-01-02T03:04:0` + string(rune('0'+record)) + `Z"}}}, ` +
			`"EventData": {"Image": "` + image + `"}}}` + "\n"
	}
	files := map[string]string{
		"rules/windows/evil.yml":            rule,
		"regression_data/evil/info.yml":     "id: x\nrule_metadata:\n    - id: 5b6f1b8e-6c5e-4b7a-9d7e-2f1c3a4b5c6d\nregression_tests_info:\n" + tests,
		"regression_data/evil/evil.json":    event(`C:\\evil.exe`, 1) + event(`C:\\good.exe`, 2),
		"regression_data/evil/silence.json": event(`C:\\good.exe`, 3),
		"regression_data/evil/twice.json":   event(`C:\\evil.exe`, 4) + event(`C:\\x\\evil.exe`, 5),
		"regression_data/evil/notjson.json": "{",
		"regression_data/evil/damaged.evtx": "ElfFile\x00",
		"regression_data/evil/damaged.json": event(`C:\\evil.exe`, 6),
	}
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	return filepath.Join(dir, "rules", "windows", "evil.yml")
}

// runSigma plans the rule file and runs its regression tests.
func runSigma(t *testing.T, ruleFile string, opts tester.Options) (tester.Summary, string) {
	t.Helper()
	files, diags := planner.ReadPaths([]string{ruleFile})
	require.Empty(t, diags)
	var out bytes.Buffer
	sum, err := tester.Report(tester.NewRunner(nil, opts).RunSigma(context.Background(), sigmaRules(files)), &tester.Pretty{Output: &out, Verbose: true})
	require.NoError(t, err)
	return sum, out.String()
}

// TestSigmaRegressionCases: each regression test is a case, named by rule title and test
// name; it passes when the rule matches as SigmaHQ's runner checks (some event, none for
// match_count 0), or exactly match_count with ExactCount; a missing info.yml or events file,
// a refused rule, each fail with the reason.
func TestSigmaRegressionCases(t *testing.T) {
	const info = "regression_data/evil/info.yml"
	test := func(name, file string, extra string) string {
		return "    - name: " + name + "\n      type: evtx\n      path: regression_data/evil/" + file + "\n" + extra
	}
	tests := []struct {
		name      string
		logsource string
		infoPath  string
		tests     string
		exact     bool
		want      tester.Summary
		wantText  []string
	}{
		{name: "matches", tests: test("Positive Detection Test", "evil.evtx", "      match_count: 1\n"),
			want: tester.Summary{Total: 1, Passed: 1}, wantText: []string{"evil.yml:15: PASS Evil Process/Positive Detection Test", "PASS: 1/1"}},
		{name: "no match_count: some event must match", tests: test("silent", "silence.evtx", ""),
			want:     tester.Summary{Total: 1, Failed: 1},
			wantText: []string{"FAIL Evil Process/silent", "no event of 1 matches, want at least one", "silence.json"}},
		{name: "match_count 0: no event may match", tests: test("none", "evil.evtx", "      match_count: 0\n"),
			want: tester.Summary{Total: 1, Failed: 1}, wantText: []string{"FAIL Evil Process/none", "1 of 2 events match, want match_count 0"}},
		{name: "a count other than match_count passes, as SigmaHQ's runner", tests: test("twice", "twice.evtx", "      match_count: 1\n"),
			want: tester.Summary{Total: 1, Passed: 1}},
		{name: "exact count", exact: true, tests: test("twice", "twice.evtx", "      match_count: 1\n") + test("twice", "twice.evtx", "      match_count: 2\n"),
			want: tester.Summary{Total: 2, Passed: 1, Failed: 1}, wantText: []string{"FAIL Evil Process/twice\n", "2 of 2 events match, want match_count 1", "PASS Evil Process/twice #2"}},
		{name: "the info.yml is found upward from the rule", infoPath: "regression_data/missing/info.yml", tests: test("x", "evil.evtx", ""),
			want: tester.Summary{Total: 1, Errored: 1}, wantText: []string{"evil.yml:15: ERROR Evil Process/regression test", "regression_tests_path regression_data/missing/info.yml: not found in", "or any directory above it"}},
		{name: "neither the evtx nor the JSON beside it", tests: test("x", "missing.evtx", ""),
			want:     tester.Summary{Total: 1, Errored: 1},
			wantText: []string{"ERROR Evil Process/x", "missing.evtx does not exist, nor the evtx_dump JSON beside it (missing.json)"}},
		{name: "bad events", tests: test("x", "notjson.evtx", ""),
			want: tester.Summary{Total: 1, Errored: 1}, wantText: []string{"notjson.json:1: invalid JSON"}},
		{name: "the evtx is read as run reads it, not the JSON beside it", tests: test("x", "damaged.evtx", ""),
			want: tester.Summary{Total: 1, Errored: 1}, wantText: []string{"damaged.evtx:0: bad EVTX record: offset 0: file header truncated at 8 bytes"}},
		{name: "a refused rule fails with the reason", logsource: "category: no_such_category\n    product: windows", tests: test("x", "evil.evtx", ""),
			want: tester.Summary{Total: 1, Failed: 1}, wantText: []string{"FAIL Evil Process/x", "the rule was not planned:", "evil.yml:6:5: warning:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			infoPath := tc.infoPath
			if infoPath == "" {
				infoPath = info
			}
			rule := sigmaRepo(t, t.TempDir(), tc.logsource, infoPath, tc.tests)
			sum, text := runSigma(t, rule, tester.Options{ExactCount: tc.exact})
			assert.Equal(t, tc.want, sum, text)
			for _, w := range tc.wantText {
				assert.Contains(t, text, w)
			}
			assert.Equal(t, tc.want.OK(), !strings.Contains(text, "FAIL:") && !strings.Contains(text, "ERROR:"))
		})
	}
}

// TestRegressionInputs: test --sigma plans only the rule files that name a regression test
// (a commented-out key or the key inside a value does not count) and the filter rules, not
// the correlations, unless a correlation names a regression test itself: then every file.
func TestRegressionInputs(t *testing.T) {
	files := []planner.File{
		{Path: "first.yml", Data: []byte("regression_tests_path: a/info.yml\ntitle: x\n")},
		{Path: "later.yml", Data: []byte("title: x\nregression_tests_path: a/info.yml\n")},
		{Path: "commented.yml", Data: []byte("title: x\n# regression_tests_path: a/info.yml\n")},
		{Path: "in a value.yml", Data: []byte("title: x\ndescription: see regression_tests_path: below\n")},
		{Path: "none.yml", Data: []byte("title: x\n")},
		{Path: "filter.yml", Data: []byte("title: x\nfilter:\n    rules: [a]\n")},
		{Path: "correlation.yml", Data: []byte("title: x\ncorrelation:\n    type: event_count\n")},
	}
	testedCorrelation := planner.File{Path: "tested correlation.yml", Data: []byte("title: x\ncorrelation:\n    type: event_count\nregression_tests_path: b/info.yml\n")}
	paths := func(fs []planner.File) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Path)
		}
		return out
	}
	tests := []struct {
		name  string
		files []planner.File
		want  []string
	}{
		{name: "tested rules and filters", files: files, want: []string{"first.yml", "later.yml", "filter.yml"}},
		{name: "a tested correlation: every file", files: append(append([]planner.File{}, files...), testedCorrelation),
			want: append(paths(files), testedCorrelation.Path)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, paths(tester.RegressionInputs(tc.files)))
		})
	}
}

// TestSigmaRegressionCorrelation: a correlation rule's regression test runs its plan as
// planned (its window and condition are its logic, not grouping to take off), over the rule
// it reads, which RegressionInputs keeps. It groups by host, the windows profile's name for
// System/Computer, as run reads evtx_dump events.
func TestSigmaRegressionCorrelation(t *testing.T) {
	evil := "title: Evil Process\nid: 5b6f1b8e-6c5e-4b7a-9d7e-2f1c3a4b5c6d\nname: evil_proc\nlogsource:\n    category: process_creation\n    product: windows\n" +
		"detection:\n    selection:\n        Image|endswith: '\\evil.exe'\n    condition: selection\nlevel: high\n"
	correlation := func(atLeast string) string {
		return "title: Evil Twice\nid: 6b6f1b8e-6c5e-4b7a-9d7e-2f1c3a4b5c6e\ncorrelation:\n    type: event_count\n    rules:\n        - evil_proc\n" +
			"    group-by:\n        - host\n    timespan: 1h\n    condition:\n        gte: " + atLeast + "\nlevel: critical\nregression_tests_path: regression_data/c/info.yml\n"
	}
	event := func(image string, second int) string {
		return `{"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "ws1", ` +
			`"TimeCreated": {"#attributes": {"SystemTime": "2026-01-02T03:04:0` + string(rune('0'+second)) + `Z"}}}, "EventData": {"Image": "` + image + `"}}}` + "\n"
	}
	tests := []struct {
		name    string
		atLeast string
		want    tester.Summary
	}{
		{name: "the correlation holds", atLeast: "2", want: tester.Summary{Total: 1, Passed: 1}},
		{name: "the correlation does not hold", atLeast: "3", want: tester.Summary{Total: 1, Failed: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range map[string]string{
				"rules/evil.yml":             evil,
				"rules/corr.yml":             correlation(tc.atLeast),
				"regression_data/c/info.yml": "regression_tests_info:\n    - name: twice\n      type: evtx\n      path: regression_data/c/e.evtx\n",
				"regression_data/c/e.json":   event(`C:\\evil.exe`, 1) + event(`C:\\x\\evil.exe`, 2),
			} {
				p := filepath.Join(dir, filepath.FromSlash(name))
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
				require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
			}
			all, diags := planner.ReadPaths([]string{filepath.Join(dir, "rules")})
			require.Empty(t, diags)
			files := tester.RegressionInputs(all)
			require.Len(t, files, 2, "the rule the correlation reads is kept")
			res := planner.Compile(files, planner.Options{}) // as test --sigma plans: no grouping per host
			rules := tester.SigmaRules{Files: files, Plans: res.Plans, Diagnostics: res.Diagnostics}
			var out bytes.Buffer
			sum, err := tester.Report(tester.NewRunner(nil, tester.Options{}).RunSigma(context.Background(), rules), &tester.Pretty{Output: &out})
			require.NoError(t, err)
			assert.Equal(t, tc.want, sum, out.String())
		})
	}
}
