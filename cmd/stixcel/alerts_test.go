package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/TcM1911/stix2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/golden"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/serve"
)

// alertCase is one run whose alerts are kept as golden files in every format.
type alertCase struct {
	name string
	args func(t *testing.T) (args []string, sharedDir string)
}

var alertCases = []alertCase{
	{"demo", func(*testing.T) ([]string, string) {
		return []string{"run", "testdata/events/demo.jsonl"}, ""
	}},
	{"an1030_lsass", func(t *testing.T) ([]string, string) {
		dir := shared.Dir(t)
		events := shared.Path(t, "datasets", "otrf-windows", "psh_lsass_memory_dump_comsvcs.jsonl")
		bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
		return []string{"run", events, "--source", "windows", "--bundle", bundle}, dir
	}},
	{"sigma_lsass", func(t *testing.T) ([]string, string) {
		dir := shared.Dir(t)
		events := shared.Path(t, "datasets", "otrf-windows", "psh_lsass_memory_dump_comsvcs.jsonl")
		bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
		rules := shared.Path(t, "sigma", "rules", "windows", "process_access")
		return []string{"run", events, "--source", "windows", "--bundle", bundle, "--no-builtin", "--sigma", rules}, dir
	}},
}

// TestAlertGoldens writes the alerts of the AN1828 demo, of AN1030 on the LSASS dataset and
// of SigmaHQ's process-access rules on it in json, text, stix and ocsf (testdata/alerts/*; go test ./cmd/stixcel -update rewrites them).
// The shared directory is written $STIXCEL_SHARED so the files do not depend on where it is.
func TestAlertGoldens(t *testing.T) {
	for _, tc := range alertCases {
		for _, format := range []string{"json", "text", "stix", "ocsf"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				args, dir := tc.args(t)
				r := runCLI(t, nil, append(args, "--format", format, "--workers", "2")...)
				require.Equal(t, exitOK, r.code, r.stderr)
				require.NotEmpty(t, r.stdout)
				out := r.stdout
				if dir != "" {
					out = strings.ReplaceAll(out, dir, "$STIXCEL_SHARED")
				}
				golden.Check(t, filepath.Join("testdata", "alerts", tc.name+"."+format+".golden"), []byte(out))
				if format == "stix" {
					checkSTIX(t, r.stdout)
				}
			})
		}
	}
}

// checkSTIX reads a run's bundle back with stix2: one sighting per alert, each of an
// analytic (or, for a Sigma rule, of the indicator whose id is the rule's), from the producer
// identity, with the alert as its extension.
func checkSTIX(t *testing.T, bundle string) {
	t.Helper()
	col, err := stix2.FromJSON([]byte(bundle))
	require.NoError(t, err, "stix2 reads the bundle")
	require.Len(t, col.Identities(), 1)
	require.NotEmpty(t, col.Sightings())
	for _, s := range col.Sightings() {
		ref := string(s.SightingOf)
		assert.True(t, strings.HasPrefix(ref, "x-mitre-analytic--") || strings.HasPrefix(ref, "indicator--"), "sighting_of_ref %s", ref)
		assert.Equal(t, col.Identities()[0].ID, s.CreatedBy)
		assert.Equal(t, int64(1), s.Count)
		assert.False(t, s.LastSeen.Before(s.FirstSeen.Time))
		assert.Len(t, s.Extensions, 1, "the alert extension")
	}
}

// TestAlertsSameForAnyWorkersAndOrder: alert ids do not depend on how the events are
// split into files or shuffled within the lateness, and the alerts' bytes are the same for
// 1, 2 and 4 workers and any order of the files on the command line.
func TestAlertsSameForAnyWorkersAndOrder(t *testing.T) {
	data, err := os.ReadFile("testdata/events/demo.jsonl")
	require.NoError(t, err)
	events := lines(string(data))
	base := runCLI(t, nil, "run", "testdata/events/demo.jsonl", "--workers", "1")
	require.Equal(t, exitOK, base.code, base.stderr)
	wantIDs := alertIDs(t, base.stdout)
	require.NotEmpty(t, wantIDs)
	for seed := range uint64(3) {
		r := rand.New(rand.NewPCG(seed, 5))
		files := shuffledSplit(t, events, r)
		run := func(files []string, workers string) string {
			got := runCLI(t, nil, append(append([]string{"run"}, files...), "--workers", workers, "--lateness", "1h")...)
			require.Equal(t, exitOK, got.code, got.stderr)
			return got.stdout
		}
		want := run(files, "1")
		assert.Equal(t, wantIDs, alertIDs(t, want), "seed %d: ids as for the one sorted file", seed)
		for _, workers := range []string{"1", "2", "4"} {
			r.Shuffle(len(files), func(a, b int) { files[a], files[b] = files[b], files[a] })
			assert.Equal(t, want, run(files, workers), "seed %d, %s workers, files %v", seed, workers, files)
		}
	}
}

// alertIDs are the ids of a run's JSON alerts, in order; each is 32 hex digits.
func alertIDs(t *testing.T, stdout string) []string {
	t.Helper()
	var ids []string
	for _, l := range lines(stdout) {
		var a struct{ ID string }
		require.NoError(t, json.Unmarshal([]byte(l), &a))
		require.Regexp(t, "^[0-9a-f]{32}$", a.ID)
		ids = append(ids, a.ID)
	}
	return ids
}

// shuffledSplit deals the lines at random over three files in a temporary directory, each
// file's lines shuffled, and returns them in a random order.
func shuffledSplit(t *testing.T, events []string, r *rand.Rand) []string {
	t.Helper()
	parts := make([][]string, 3)
	for _, e := range events {
		k := r.IntN(len(parts))
		parts[k] = append(parts[k], e)
	}
	dir := t.TempDir()
	var files []string
	for i, p := range parts {
		r.Shuffle(len(p), func(a, b int) { p[a], p[b] = p[b], p[a] })
		name := filepath.Join(dir, fmt.Sprintf("part%d.jsonl", i))
		require.NoError(t, os.WriteFile(name, []byte(strings.Join(p, "\n")+"\n"), 0o644))
		files = append(files, name)
	}
	r.Shuffle(len(files), func(a, b int) { files[a], files[b] = files[b], files[a] })
	return files
}

func TestRunFormatFlags(t *testing.T) {
	demo, err := os.ReadFile("testdata/events/demo.jsonl")
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout func(t *testing.T, out string)
		stderr string
	}{
		{name: "unknown format", args: []string{"run", "testdata/events/demo.jsonl", "--format", "yaml"},
			code: exitInput, stderr: `--format: unknown format "yaml" (want json, text, stix, ocsf)`},
		{name: "hunt records have no STIX form", args: []string{"run", "testdata/events/demo.jsonl", "--format", "stix", "--hunt"},
			code: exitInput, stderr: "--format stix --hunt: hunt records have no STIX form"},
		{name: "stix from stdin is one object per line", stdin: string(demo), args: []string{"run", "-", "--format", "stix"},
			code: exitOK, stdout: func(t *testing.T, out string) {
				objs := lines(out)
				require.Len(t, objs, 3, "identity, extension definition, one sighting")
				var s struct {
					Type       string
					SightingOf string `json:"sighting_of_ref"`
				}
				require.NoError(t, json.Unmarshal([]byte(objs[2]), &s))
				assert.Equal(t, "sighting", s.Type)
				assert.Equal(t, "x-mitre-analytic--7c96d701-391d-4904-b6ba-941344aaf059", s.SightingOf)
			}},
		{name: "text is not coloured off a terminal", args: []string{"run", "testdata/events/demo.jsonl", "--format", "text"},
			code: exitOK, stdout: func(t *testing.T, out string) {
				assert.True(t, strings.HasPrefix(out, "ALERT AN1828  Analytic 1828\n"), out)
				assert.NotContains(t, out, "\x1b[")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, stringsReader(tc.stdin), tc.args...)
			require.Equal(t, tc.code, r.code, r.stderr)
			if tc.stdout != nil {
				tc.stdout(t, r.stdout)
			}
			assert.Contains(t, r.stderr, tc.stderr)
		})
	}
}

// TestAlertsSkipsNonJSON: stixcel alerts prints only the messages of the alert stream that
// are JSON objects, one line each; anything else published to the subject (a raw line with
// terminal control sequences, an empty message) is counted on stderr, shown escaped, never
// printed raw (before, it went to stdout as it was: the screen cleared, the output no longer
// JSON lines).
func TestAlertsSkipsNonJSON(t *testing.T) {
	url := natsServer(t)
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, serve.Setup(ctx, js, serve.Names{}))
	subject := serve.Names{Prefix: "stixcel"}.AlertsSubject()
	for _, msg := range []string{`{"id":"a1"}`, "\x1b[2J\x1b]0;pwned\a not an alert", "", "{\n  \"id\": \"a2\"\n}", `["not", "an", "object"]`} {
		_, err := js.Publish(ctx, subject, []byte(msg))
		require.NoError(t, err)
	}
	r := runCLI(t, nil, "alerts", "--nats", url)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "{\"id\":\"a1\"}\n{\"id\":\"a2\"}\n", r.stdout)
	assert.Contains(t, r.stderr, `skipped a message that is not a JSON object: \x1b[2J\x1b]0;pwned\x07 not an alert`)
	assert.Contains(t, r.stderr, "3 messages of the alert stream were not JSON objects: not printed")
	assert.NotContains(t, r.stderr, "\x1b")
}
