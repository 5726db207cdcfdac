package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fileFixture is a scratch copy of the inputs a user has: the seed bundle, a pack (the
// built-in mobile pack), the demo events and compiled plans.
type fileFixture struct {
	dir, bundle, pack, binding, events, plans string
}

func newFileFixture(t *testing.T) fileFixture {
	t.Helper()
	dir := t.TempDir()
	fx := fileFixture{
		dir:    dir,
		bundle: filepath.Join(dir, "seed.json"),
		pack:   filepath.Join(dir, "pack"),
		events: filepath.Join(dir, "events.jsonl"),
		plans:  filepath.Join(dir, "plans.json"),
	}
	fx.binding = filepath.Join(fx.pack, "AN1828.yaml")
	copyFile(t, "analytics/seed/AN1828.json", fx.bundle)
	copyFile(t, "testdata/events/demo.jsonl", fx.events)
	require.NoError(t, os.CopyFS(fx.pack, os.DirFS("analytics/mobile")))
	r := runCLI(t, nil, "compile", "-o", fx.plans)
	require.Equal(t, exitOK, r.code, r.stderr)
	return fx
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, data, 0o644))
}

// TestOutputsNeverOverwriteAnInput names an input as an output in every way a user can
// (directly, by a symlink or a hard link, or as the file on stdin; run --rejects, compile -o,
// test --junit, coverage --layer): each run must stop with exit 2 naming the flag and the
// input, and leave the input as it was (before, --rejects truncated the events to 0 bytes,
// compile -o replaced the bundle, and coverage --layer replaced whatever it named).
func TestOutputsNeverOverwriteAnInput(t *testing.T) {
	fx := newFileFixture(t)
	link := filepath.Join(fx.dir, "link.jsonl")
	if runtime.GOOS != "windows" {
		require.NoError(t, os.Symlink(fx.events, link))
	}
	params := filepath.Join(fx.dir, "params.yaml")
	copyFile(t, "cmd/stixcel/testdata/profiles/exception.yaml", params)
	taxonomy := filepath.Join(fx.dir, "taxonomy.yaml")
	copyFile(t, "compiler/channel/taxonomy.yaml", taxonomy)
	profile := filepath.Join(fx.dir, "windows.yaml")
	copyFile(t, "source/profiles/windows.yaml", profile)
	hardLink := filepath.Join(fx.dir, "params-link.yaml")
	require.NoError(t, os.Link(params, hardLink))
	tests := []struct {
		name   string
		args   []string
		stdin  string // a file opened as stdin, as `< FILE` does
		victim string
		want   string
	}{
		{name: "--rejects is the events file", args: []string{"run", "--rejects", fx.events, fx.events},
			victim: fx.events, want: "--rejects: " + fx.events + " is the input " + fx.events},
		{name: "--rejects is a symlink to the events file", args: []string{"run", "--rejects", link, fx.events},
			victim: fx.events, want: "--rejects: " + link + " is the input " + fx.events},
		{name: "--rejects is the file on stdin", args: []string{"run", "--rejects", fx.events}, stdin: fx.events,
			victim: fx.events, want: "--rejects: " + fx.events + " is the input <stdin>"},
		{name: "--rejects is the plans", args: []string{"run", "--plans", fx.plans, "--rejects", fx.plans, fx.events},
			victim: fx.plans, want: "--rejects: " + fx.plans + " is the input " + fx.plans},
		{name: "compile -o is the bundle", args: []string{"compile", "-o", fx.bundle, fx.bundle},
			victim: fx.bundle, want: "-o: " + fx.bundle + " is the input " + fx.bundle},
		{name: "compile -o is a binding of a pack", args: []string{"compile", "--pack", fx.pack, "-o", fx.binding},
			victim: fx.binding, want: "-o: " + fx.binding + " is inside the input directory " + fx.pack},
		{name: "--junit is a pack's events", args: []string{"test", "--junit", filepath.Join(fx.pack, "tests", "an1828_locked_beacon.jsonl"), fx.pack},
			victim: filepath.Join(fx.pack, "tests", "an1828_locked_beacon.jsonl"), want: "--junit: " + filepath.Join(fx.pack, "tests", "an1828_locked_beacon.jsonl") + " is inside the input directory " + fx.pack},
		{name: "--junit is the bundle", args: []string{"test", "--bundle", fx.bundle, "--junit", fx.bundle},
			victim: fx.bundle, want: "--junit: " + fx.bundle + " is the input " + fx.bundle},
		{name: "coverage --layer is the bundle", args: []string{"coverage", "--bundle", fx.bundle, "--layer", fx.bundle},
			victim: fx.bundle, want: "--layer: " + fx.bundle + " is the input " + fx.bundle},
		{name: "coverage --layer is the bundle on stdin", args: []string{"coverage", "--bundle", "-", "--layer", fx.bundle}, stdin: fx.bundle,
			victim: fx.bundle, want: "--layer: " + fx.bundle + " is the input <stdin>"},
		{name: "coverage --layer is a binding of a pack", args: []string{"coverage", "--pack", fx.pack, "--layer", fx.binding},
			victim: fx.binding, want: "--layer: " + fx.binding + " is inside the input directory " + fx.pack},
		{name: "coverage --layer is the events", args: []string{"coverage", fx.events, "--layer", fx.events},
			victim: fx.events, want: "--layer: " + fx.events + " is the input " + fx.events},
		{name: "coverage --layer is a symlink to the --events", args: []string{"coverage", "--events", fx.events, "--layer", link},
			victim: fx.events, want: "--layer: " + link + " is the input " + fx.events},
		{name: "coverage --layer is a hard link to the params", args: []string{"coverage", "--params", params, "--layer", hardLink},
			victim: params, want: "--layer: " + hardLink + " is the input " + params},
		{name: "coverage --layer is the taxonomy", args: []string{"coverage", "--taxonomy", taxonomy, "--layer", taxonomy},
			victim: taxonomy, want: "--layer: " + taxonomy + " is the input " + taxonomy},
		{name: "coverage --layer is the source profile", args: []string{"coverage", fx.events, "--source", profile, "--layer", profile},
			victim: profile, want: "--layer: " + profile + " is the input " + profile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(tc.name, "symlink") && runtime.GOOS == "windows" {
				t.Skip("symlinks")
			}
			before, err := os.ReadFile(tc.victim)
			require.NoError(t, err)
			var r result
			if tc.stdin != "" {
				f, err := os.Open(tc.stdin)
				require.NoError(t, err)
				r = runCLI(t, f, tc.args...)
				f.Close()
			} else {
				r = runCLI(t, nil, tc.args...)
			}
			assert.Equal(t, exitInput, r.code, r.stderr)
			assert.Contains(t, r.stderr, "stixcel: "+tc.want)
			assert.Contains(t, r.stderr, "an output may not overwrite an input")
			after, err := os.ReadFile(tc.victim)
			require.NoError(t, err)
			assert.Equal(t, string(before), string(after), "the input is left as it was")
		})
	}
}

// TestOutputsAreWrittenWhole: every output is in place after a run, with no temporary file
// left beside it.
func TestOutputsAreWrittenWhole(t *testing.T) {
	fx := newFileFixture(t)
	bad := filepath.Join(fx.dir, "bad.jsonl")
	// One line processed (a run of which no line could be processed is an input error).
	require.NoError(t, os.WriteFile(bad, []byte(`{"time":"2026-03-20T09:00:00Z","log_source":"x"}`+"\nnot json\n"), 0o644))
	out := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		output string
		want   string // a substring of the output file
	}{
		{"compile -o", []string{"compile", "-o", filepath.Join(out, "plans.json"), fx.bundle}, "plans.json", `"AN1828"`},
		{"run --rejects", []string{"run", "--rejects", filepath.Join(out, "rejects.jsonl"), bad}, "rejects.jsonl", "not json\n"},
		{"test --junit", []string{"test", "--junit", filepath.Join(out, "junit.xml"), fx.pack}, "junit.xml", "<testsuites"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			data, err := os.ReadFile(filepath.Join(out, tc.output))
			require.NoError(t, err)
			assert.Contains(t, string(data), tc.want)
		})
	}
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"plans.json", "rejects.jsonl", "junit.xml"}, names, "no temporary files are left")
}

// TestCompileFailedWriteKeepsThePlans runs compile -o over existing plans with a file size
// limit that stops the write half-way (ulimit -f): the error names the file once and the
// previous plans are whole (before, they were truncated to the limit).
func TestCompileFailedWriteKeepsThePlans(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ulimit -f and SIGXFSZ as on Linux")
	}
	fx := newFileFixture(t)
	before, err := os.ReadFile(fx.plans)
	require.NoError(t, err)
	require.Greater(t, len(before), 4096, "the plans are larger than the limit")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// ulimit -f counts blocks of 1024 bytes in dash and bash alike when given to sh -c.
	cmd := exec.CommandContext(ctx, "sh", "-c", `ulimit -f 2 && exec "$0"`, os.Args[0])
	cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join([]string{"compile", "-o", fx.plans, fx.bundle}, "\x1f"))
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the write fails: %s", out)
	assert.Contains(t, string(out), "stixcel: -o: write "+fx.plans+": file too large")
	assert.NotContains(t, string(out), ".tmp-", "the temporary file is not named")
	after, err := os.ReadFile(fx.plans)
	require.NoError(t, err)
	assert.Equal(t, len(before), len(after), "the previous plans are whole")
	entries, err := os.ReadDir(fx.dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".tmp-", "the temporary file is removed")
	}
}

// TestWriteErrorNamesThePathOnce: a device that fails writes (/dev/full) gives "write
// /dev/full: no space left on device", once (it was "write X: write X: ...").
func TestWriteErrorNamesThePathOnce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/full")
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"compile -o", []string{"compile", "-o", "/dev/full"}, "stixcel: -o: write /dev/full: no space left on device\n"},
		{"run --rejects", []string{"run", "--rejects", "/dev/full", "-"}, "stixcel: --rejects: write /dev/full: no space left on device\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, stringsReader("not json\n"), tc.args...)
			assert.Equal(t, exitInput, r.code)
			assert.True(t, strings.HasSuffix(r.stderr, tc.want), "stderr ends with %q:\n%s", tc.want, r.stderr)
		})
	}
}
