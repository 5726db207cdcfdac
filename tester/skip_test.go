package tester

import (
	"bytes"
	"context"
	"fmt"
	"github.com/stixcel/stixcel/pack"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

// manyUnloaded is a pack of n bindings, one case each, for analytics AN9001… that no bundle
// has.
func manyUnloaded(t *testing.T, n int) *pack.Pack {
	t.Helper()
	fsys := fstest.MapFS{}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("AN%04d", 9000+i)
		fsys["many/"+id+".yaml"] = &fstest.MapFile{Data: []byte(
			"analytic: " + id + "\ncondition: \"true\"\ntests:\n  - name: case\n    events: []\n    expect: []\n")}
	}
	p := pack.FromFS(fsys, "many")
	require.Empty(t, p.Diagnostics)
	return p
}

func TestSkipsAnalyticsNotLoaded(t *testing.T) {
	mixed := pack.FromDir(filepath.Join("testdata", "mixed"))
	require.Empty(t, mixed.Diagnostics)
	const skipLine = "SKIP: 3/4 (analytics not in the loaded bundles: AN0235, AN1030; pass --bundle)\n"
	tests := []struct {
		name    string
		pack    *pack.Pack
		verbose bool
		want    Summary
		output  string
	}{
		{name: "loaded and unloaded analytics", pack: mixed,
			want:   Summary{Total: 4, Passed: 1, Skipped: 3},
			output: "PASS: 1/4\n" + skipLine},
		{name: "verbose lists the skipped cases", pack: mixed, verbose: true,
			want: Summary{Total: 4, Passed: 1, Skipped: 3},
			output: "testdata/mixed/enterprise/AN0235.yaml:5: SKIP AN0235/first\n" +
				"testdata/mixed/enterprise/AN0235.yaml:8: SKIP AN0235/second\n" +
				"testdata/mixed/enterprise/AN1030.yaml:5: SKIP AN1030/never read\n" +
				"testdata/mixed/mobile/AN1828.yaml:18: PASS AN1828/locked device on 4444 alerts\n" +
				strings.Repeat("-", 80) + "\n" +
				"PASS: 1/4\n" + skipLine},
		{name: "more than ten analytics are cut short", pack: manyUnloaded(t, 12),
			want: Summary{Total: 12, Skipped: 12},
			output: "SKIP: 12/12 (analytics not in the loaded bundles: AN9001, AN9002, AN9003, AN9004, AN9005, " +
				"AN9006, AN9007, AN9008, AN9009, AN9010 and 2 more; pass --bundle)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			sum, err := Test(context.Background(), seedIndex(t), []*pack.Pack{tc.pack}, Options{},
				&Pretty{Output: &out, Verbose: tc.verbose})
			require.NoError(t, err)
			assert.Equal(t, tc.want, sum)
			assert.True(t, sum.OK(), "skipped cases do not fail the run")
			assert.Equal(t, tc.output, out.String())
		})
	}
}

func TestSkippedResult(t *testing.T) {
	results := collect(t, NewRunner(seedIndex(t), Options{}), pack.FromDir(filepath.Join("testdata", "mixed")))
	require.Len(t, results, 4)
	for _, r := range results {
		if r.Analytic == "AN1828" {
			assert.True(t, r.Passed(), r.ID())
			assert.False(t, r.Skipped(), r.ID())
			continue
		}
		assert.True(t, r.Skipped(), r.ID())
		assert.False(t, r.Passed(), "a skipped case has not passed: %s", r.ID())
		assert.NoError(t, r.Err, "an unloaded analytic's missing events file is not read: %s", r.ID())
		assert.Equal(t, "analytic "+r.Analytic+" is not in the loaded bundles (pass --bundle with the ATT&CK bundle that has it)", r.Skip)
	}
}

// A binding that does not load is an error even when its analytic is not loaded either: the
// pack is at fault, whatever the bundles.
func TestLoadErrorsBeatSkipping(t *testing.T) {
	p := pack.FromDir(filepath.Join("testdata", "mixed"))
	b := p.Bindings[0]
	require.Equal(t, "AN0235", b.Analytic.Value)
	p.Diagnostics.Errorf(diag.Pos{File: b.File, Line: 3, Col: 1}, "stixcel_bad_shape", "made up")
	var out bytes.Buffer
	sum, err := Test(context.Background(), seedIndex(t), []*pack.Pack{p}, Options{}, &Pretty{Output: &out})
	require.NoError(t, err)
	assert.Equal(t, Summary{Total: 4, Passed: 1, Errored: 2, Skipped: 1}, sum)
	assert.False(t, sum.OK())
	assert.Contains(t, out.String(), "ERROR AN0235/first\n    binding does not load:")
	assert.Contains(t, out.String(), "SKIP: 1/4 (analytic not in the loaded bundles: AN1030; pass --bundle)\n")
}
