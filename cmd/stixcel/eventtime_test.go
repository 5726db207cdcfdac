package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

// alertSummary is an alert without its evidence lines (which cite where events were read):
// analytic, group, window and the count per channel.
func alertSummaries(t *testing.T, stdout string) []string {
	t.Helper()
	var out []string
	for _, l := range lines(stdout) {
		var a struct {
			Analytic  string
			Group     map[string]any
			FirstSeen string `json:"first_seen"`
			LastSeen  string `json:"last_seen"`
			Channels  []struct {
				ID    string
				Count int
			}
		}
		require.NoError(t, json.Unmarshal([]byte(l), &a))
		b, err := json.Marshal(a)
		require.NoError(t, err)
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

// TestRunDatasetsAnyOrder: the ten OTRF datasets in one run, in name order, reversed and
// shuffled, with 1, 2 and 4 workers, give the alerts of ten separate runs, byte for byte the
// same whatever the order and the workers.
func TestRunDatasetsAnyOrder(t *testing.T) {
	bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	files, err := filepath.Glob(filepath.Join(shared.Path(t, "datasets", "otrf-windows"), "*.jsonl"))
	require.NoError(t, err)
	require.Len(t, files, 10)
	plans := filepath.Join(t.TempDir(), "plans.json")
	r := runCLI(t, nil, "compile", bundle, "-o", plans)
	require.Equal(t, exitOK, r.code, r.stderr)

	var separate []string
	for _, f := range files {
		r := runCLI(t, nil, "run", "--source", "windows", "--plans", plans, f)
		require.Equal(t, exitOK, r.code, r.stderr)
		separate = append(separate, lines(r.stdout)...)
	}
	require.Len(t, separate, 17)
	sort.Strings(separate)

	reversed := append([]string(nil), files...)
	sort.Sort(sort.Reverse(sort.StringSlice(reversed)))
	orders := [][]string{files, reversed}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3 {
		shuffled := append([]string(nil), files...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		orders = append(orders, shuffled)
	}
	var first string
	for _, order := range orders {
		for _, workers := range []string{"1", "2", "4"} {
			args := append([]string{"run", "--source", "windows", "--plans", plans, "--workers", workers}, order...)
			r := runCLI(t, nil, args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			got := lines(r.stdout)
			sorted := append([]string(nil), got...)
			sort.Strings(sorted)
			assert.Equal(t, separate, sorted, "workers %s", workers)
			if first == "" {
				first = r.stdout
			}
			assert.Equal(t, first, r.stdout, "byte-identical for any file order and workers %s", workers)
			assert.Contains(t, r.stderr, "read 9420 lines from 10 files: 9419 events processed, 1 rejected (empty line: 1); 17 alerts")
		}
	}
}

// TestRunDemoAnyArrivalOrder: the demo shuffled within the default lateness, reversed with
// --lateness 1h, and with an event dated 9999 in the middle gives the README's one alert.
func TestRunDemoAnyArrivalOrder(t *testing.T) {
	want := runCLI(t, nil, "run", "testdata/events/demo.jsonl")
	require.Equal(t, exitOK, want.code, want.stderr)
	require.Len(t, lines(want.stdout), 1)
	demo := readLines(t, "testdata/events/demo.jsonl")

	reversed := append([]string(nil), demo...)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	mid := len(demo) / 2
	with9999 := append(append(append([]string(nil), demo[:mid]...),
		`{"time":"9999-12-31T23:59:59Z","log_source":"VPN:MobileProxy","device_id":"ios-beacon-7","dst_port":4444,"protocol":"tls"}`), demo[mid:]...)
	tests := []struct {
		name   string
		lines  []string
		args   []string
		stderr string
	}{
		{"shuffled within 5 minutes", shuffleWithin(t, demo, 290*time.Second), nil, "88 events processed, 0 rejected; 1 alerts"},
		{"reversed, lateness 1h", reversed, []string{"--lateness", "1h"}, "88 events processed, 0 rejected; 1 alerts"},
		{"reversed, a batch", reversed, nil, "88 events processed, 0 rejected; 1 alerts"},
		{"reversed, a batch sorted through temporary files", reversed, []string{"--max-held", "2000"}, "88 events processed, 0 rejected; 1 alerts"},
		{"a 9999 event in the middle", with9999, nil, "88 events processed, 1 rejected (time out of range: 1); 1 alerts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, workers := range []string{"1", "2"} {
				args := append(append([]string{"run", "--workers", workers}, tc.args...), "-")
				r := runCLI(t, strings.NewReader(strings.Join(tc.lines, "\n")+"\n"), args...)
				require.Equal(t, exitOK, r.code, r.stderr)
				assert.Equal(t, alertSummaries(t, want.stdout), alertSummaries(t, r.stdout))
				assert.Contains(t, r.stderr, tc.stderr)
			}
		})
	}
}

// TestRunLateEvents: on a stream (--follow), an event later than the lateness is named with
// how late it is, counted as rejected and kept with --rejects; the others still run. A batch
// (the default) takes it.
func TestRunLateEvents(t *testing.T) {
	demo := readLines(t, "testdata/events/demo.jsonl")
	in := append(append([]string(nil), demo...), demo[0]) // the first event again, at the end
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")
	r := runCLI(t, strings.NewReader(strings.Join(in, "\n")+"\n"), "run", "--follow", "--rejects", rejects, "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "rejected: <stdin>:89: late: by ")
	assert.Contains(t, r.stderr, "read 89 lines from 1 file: 88 events processed, 1 rejected (late: 1); 1 alerts")
	kept, err := os.ReadFile(rejects)
	require.NoError(t, err)
	assert.Equal(t, demo[0]+"\n", string(kept))

	r = runCLI(t, strings.NewReader(strings.Join(in, "\n")+"\n"), "run", "--follow", "--strict", "-")
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, "<stdin>:89: late: by ")

	r = runCLI(t, strings.NewReader(strings.Join(in, "\n")+"\n"), "run", "--strict", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "read 89 lines from 1 file: 89 events processed, 0 rejected; 1 alerts")
}

// TestRunEveryExitPathWritesAlerts: a stream that stops at an error still writes every
// alert found so far, with any number of workers, and the summary counts what was written;
// a strict batch stops before it evaluates anything, since it reads every line first.
func TestRunEveryExitPathWritesAlerts(t *testing.T) {
	demo := readLines(t, "testdata/events/demo.jsonl")
	in := strings.Join(demo, "\n") + "\nnot json\n"
	for _, workers := range []string{"1", "2"} {
		r := runCLI(t, strings.NewReader(in), "run", "--follow", "--strict", "--workers", workers, "-")
		assert.Equal(t, exitInput, r.code)
		assert.Len(t, lines(r.stdout), 1, "workers %s: the alert found before the bad line", workers)
		assert.Contains(t, r.stderr, "1 alerts", "workers %s", workers)

		r = runCLI(t, strings.NewReader(in), "run", "--strict", "--workers", workers, "-")
		assert.Equal(t, exitInput, r.code)
		assert.Empty(t, r.stdout, "workers %s: a strict batch evaluates nothing", workers)
		assert.Contains(t, r.stderr, "<stdin>:89: invalid JSON", "workers %s", workers)
	}
	r := runCLI(t, nil, "run", "--workers", "2", "testdata/events/demo.jsonl", "no-such-file.jsonl")
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, "no-such-file.jsonl")
	assert.Empty(t, r.stdout, "a missing input stops the run before it starts")
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return lines(string(data))
}

// shuffleWithin reorders JSONL lines as a batching collector would: each line moves back by
// less than d relative to the lines after it.
func shuffleWithin(t *testing.T, in []string, d time.Duration) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	type keyed struct {
		line string
		key  time.Time
	}
	ks := make([]keyed, len(in))
	for i, l := range in {
		var ev struct{ Time time.Time }
		require.NoError(t, json.Unmarshal([]byte(l), &ev))
		ks[i] = keyed{l, ev.Time.Add(time.Duration(rng.Int64N(int64(d))))}
	}
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].key.Before(ks[j].key) })
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.line
	}
	changed := false
	for i := range out {
		changed = changed || out[i] != in[i]
	}
	require.True(t, changed, "the shuffle moves lines")
	return out
}

// TestRunNumberTooLarge: a group value JSON cannot encode (1e400 reads as +Inf) used to make
// the alert fail to write; such a line is now rejected as invalid JSON, like encoding/json
// rejects it, and the run goes on.
func TestRunNumberTooLarge(t *testing.T) {
	demo := strings.ReplaceAll(strings.Join(readLines(t, "testdata/events/demo.jsonl"), "\n"), `"ios-beacon-7"`, "1e400")
	r := runCLI(t, strings.NewReader(demo+"\n"), "run", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "invalid JSON: number 1e400 is out of range for a float64")
	assert.NotContains(t, r.stderr, "unsupported value")
}

// outOfOrder is four AN1828 events that arrive out of order within the lateness: dev-d's
// lock-screen event (09:09) comes after dev-a's at 09:10:01, which closed dev-d's window
// when events were taken in arrival order. Sorted, c1 and c4 meet in one window: one alert.
var outOfOrder = []string{
	`{"time":"2026-03-20T09:00:00Z","log_source":"VPN:MobileProxy","device_id":"dev-d","app_bundle_id":"com.example.flashlight","dst_host":"c2.example.net","dst_port":4444,"protocol":"tls"}`,
	`{"time":"2026-03-20T09:10:01Z","log_source":"MobileEDR:telemetry","device_id":"dev-a","DeviceLockState":"unlocked"}`,
	`{"time":"2026-03-20T09:09:00Z","log_source":"MobileEDR:telemetry","device_id":"dev-d","DeviceLockState":"locked"}`,
	`{"time":"2026-03-20T09:11:00Z","log_source":"MobileEDR:telemetry","device_id":"dev-a","DeviceLockState":"unlocked"}`,
}

// TestRunOutOfOrderInputs: lines out of order within the lateness, and files each sorted but
// overlapping in time given in any order, give the sorted stream's one alert for 1 to 4
// workers (before event-time merging: 0 alerts for every worker count).
func TestRunOutOfOrderInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, lines ...string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
		return path
	}
	stdin := write("ooo.jsonl", outOfOrder...)
	a := write("a.jsonl", outOfOrder[0], outOfOrder[1])
	b := write("b.jsonl", outOfOrder[2])
	c := write("c.jsonl", outOfOrder[3])
	inputs := [][]string{{stdin}, {a, b, c}, {a, c, b}, {b, a, c}, {b, c, a}, {c, a, b}, {c, b, a}}
	var want string
	for _, files := range inputs {
		for _, workers := range []string{"1", "2", "3", "4"} {
			r := runCLI(t, nil, append([]string{"run", "--workers", workers}, files...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			require.Len(t, lines(r.stdout), 1, "files %v, workers %s", files, workers)
			if want == "" {
				want = strings.Join(alertSummaries(t, r.stdout), "\n")
			}
			assert.Equal(t, want, strings.Join(alertSummaries(t, r.stdout), "\n"), "files %v, workers %s", files, workers)
			assert.Contains(t, r.stderr, "4 events processed, 0 rejected; 1 alerts")
		}
	}
}

// TestRunTimeBefore1970: an event in year 0000 (or any time before 1970) is rejected with a
// reason and counted, not evicted in silence, and the rest of the stream still alerts.
func TestRunTimeBefore1970(t *testing.T) {
	year0 := `{"time":"0000-01-01T00:00:00Z","log_source":"MobileEDR:telemetry","device_id":"dev-d","DeviceLockState":"locked"}`
	in := append([]string{year0}, outOfOrder...)
	for _, workers := range []string{"1", "2"} {
		r := runCLI(t, strings.NewReader(strings.Join(in, "\n")+"\n"), "run", "--workers", workers, "-")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Len(t, lines(r.stdout), 1)
		assert.Contains(t, r.stderr, "<stdin>:1: time out of range: 0000-01-01T00:00:00Z is before 1970")
		assert.Contains(t, r.stderr, "read 5 lines from 1 file: 4 events processed, 1 rejected (time out of range: 1); 1 alerts")
	}
}

// TestRunBatchStdinGivesTheFilesAlerts: the ten OTRF datasets' lines shuffled whole and
// piped into stdin (a backfill: `cat *.jsonl | stixcel run -`) give the alerts of the ten
// files, ids included, with nothing rejected, for 1 and 2 workers and with a --max-held that
// makes the batch sort through temporary files (before: 424 of 9,420 events processed, 8,996
// rejected as late or out of range, 1 alert of 17).
func TestRunBatchStdinGivesTheFilesAlerts(t *testing.T) {
	bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	files, err := filepath.Glob(filepath.Join(shared.Path(t, "datasets", "otrf-windows"), "*.jsonl"))
	require.NoError(t, err)
	require.Len(t, files, 10)
	plans := filepath.Join(t.TempDir(), "plans.json")
	r := runCLI(t, nil, "compile", bundle, "-o", plans)
	require.Equal(t, exitOK, r.code, r.stderr)
	want := runCLI(t, nil, append([]string{"run", "--source", "windows", "--plans", plans}, files...)...)
	require.Equal(t, exitOK, want.code, want.stderr)
	require.Len(t, lines(want.stdout), 17)

	var all []string
	for _, f := range files {
		all = append(all, readLines(t, f)...)
	}
	concatenated := strings.Join(all, "\n") + "\n"
	rng := rand.New(rand.NewPCG(23, 2))
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	shuffled := strings.Join(all, "\n") + "\n"
	for _, tc := range []struct {
		name, stdin string
		args        []string
	}{
		{"concatenated", concatenated, nil},
		{"shuffled", shuffled, nil},
		{"shuffled, two workers", shuffled, []string{"--workers", "2"}},
		{"shuffled, sorted through temporary files", shuffled, []string{"--max-held", "300000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"run", "--source", "windows", "--plans", plans}, tc.args...), "-")
			r := runCLI(t, strings.NewReader(tc.stdin), args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Contains(t, r.stderr, "read 9420 lines from 1 file: 9419 events processed, 1 rejected (empty line: 1); 17 alerts")
			assert.Equal(t, alertSummaries(t, want.stdout), alertSummaries(t, r.stdout))
			assert.ElementsMatch(t, alertIDs(t, want.stdout), alertIDs(t, r.stdout))
		})
	}
}

// TestRunInterleavedExport: an export that gives one channel after another (Sysmon, then
// Security, each spanning 40 minutes) loses nothing in a batch; the same lines read as a
// stream (--follow) lose the Security events as late.
func TestRunInterleavedExport(t *testing.T) {
	var in []string
	for _, channel := range []string{"Microsoft-Windows-Sysmon/Operational", "Security"} {
		for i := range 3 {
			in = append(in, fmt.Sprintf(`{"Channel":%q,"EventID":%d,"Hostname":"ws1","TimeCreated":"2026-03-20T09:%02d:00Z"}`,
				channel, 1+i, 1+20*i))
		}
	}
	text := strings.Join(in, "\n") + "\n"
	r := runCLI(t, strings.NewReader(text), "run", "--source", "windows", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "read 6 lines from 1 file: 6 events processed, 0 rejected")
	r = runCLI(t, strings.NewReader(text), "run", "--source", "windows", "--follow", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "read 6 lines from 1 file: 4 events processed, 2 rejected (late: 2)")
}
