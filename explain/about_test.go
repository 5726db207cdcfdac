package explain

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/plan"
)

func TestStage(t *testing.T) {
	tests := []struct {
		name, stage string
		want        compiler.Stage
		err         string
	}{
		{name: "every stage", stage: ""},
		{name: "a stage", stage: "params", want: compiler.Stage("params")},
		{name: "unknown", stage: "parms", err: `unknown stage "parms" (want one of ` + StageNames() + ")"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Stage(tc.stage)
			if tc.err != "" {
				assert.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	assert.Contains(t, StageNames(), "params, ")
}

// TestWriteAbout: the strategy by name (or the id of the URL when the bundles lack it) and
// the description wrapped at 96 columns, paragraphs kept, a longer word alone on its line.
func TestWriteAbout(t *testing.T) {
	long := "x" + string(bytes.Repeat([]byte("y"), 100))
	tests := []struct {
		name string
		a    *attack.Analytic
		want string
	}{
		{name: "no analytic", a: nil, want: ""},
		{name: "strategy by name", a: &attack.Analytic{Description: "Watch lsass.", Strategy: &attack.Strategy{ID: "DET0363", Name: "Credential Dumping"}},
			want: "\ndetection strategy:\n  DET0363  Credential Dumping\n\ndescription:\n  Watch lsass.\n"},
		{name: "strategy not loaded, no description", a: &attack.Analytic{StrategyFromURL: "DET0706"},
			want: "\ndetection strategy:\n  DET0706 (not in the loaded bundles)\n\ndescription:\n  none\n"},
		{name: "escaped for a terminal", a: &attack.Analytic{Description: "\x1b[2Jgone", Strategy: &attack.Strategy{ID: "DET1", Name: "a\u202Eb"}},
			want: "\ndetection strategy:\n  DET1  a\\u202eb\n\ndescription:\n  \\x1b[2Jgone\n"},
		{name: "wrapped, paragraphs kept", a: &attack.Analytic{Description: "one two\n" + long + " three"},
			want: "\ndetection strategy:\n  none (not in the loaded bundles)\n\ndescription:\n  one two\n  " + long + "\n  three\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, WriteAbout(&b, tc.a))
			assert.Equal(t, tc.want, b.String())
		})
	}
	assert.Equal(t, "  aaa bbb\n  ccc", wrap("aaa bbb ccc", "  ", 10))
}

// TestWriteTechnique: one line per plan with its strategy by name when the index has it, by
// id otherwise; a technique without a sub-technique says it includes them.
func TestWriteTechnique(t *testing.T) {
	plans := []*plan.Plan{
		{ID: "AN0001", Kind: plan.KindDetection, DetectionStrategy: "DET0001", Techniques: []plan.Technique{{ID: "T1003.001"}}},
		{ID: "AN0002", Kind: plan.KindSelector, Techniques: []plan.Technique{{ID: "T1003"}, {ID: "T1003.002"}}},
	}
	var b bytes.Buffer
	require.NoError(t, WriteTechnique(&b, "T1003", plans, nil))
	assert.Equal(t, "T1003 and its sub-techniques: 2 analytics (stixcel explain ANALYTIC_ID for one)\n"+
		"  AN0001  detection T1003.001  DET0001\n"+
		"  AN0002  selector  T1003, T1003.002 none\n", b.String())

	b.Reset()
	plans[0].DetectionStrategy = "DET\x1b]0;x\x07"
	require.NoError(t, WriteTechnique(&b, "t1003.001", plans[:1], nil))
	assert.Contains(t, b.String(), `DET\x1b]0;x\x07`, "escaped for a terminal")
	plans[0].DetectionStrategy = "DET0001"

	b.Reset()
	require.NoError(t, WriteTechnique(&b, "T1003.001", plans[:1], nil))
	assert.Equal(t, "T1003.001: 1 analytic (stixcel explain ANALYTIC_ID for one)\n  AN0001  detection T1003.001  DET0001\n", b.String())
}

func TestNotLoaded(t *testing.T) {
	assert.EqualError(t, NotLoaded("AN1", false), "analytic AN1 is not in the loaded bundles")
	assert.Contains(t, NotLoaded("AN1", true).Error(), "(only the embedded seed bundle builtin:")
	assert.EqualError(t, NoTechnique("T1", false), "no analytic of the loaded bundles detects technique T1")
}

func TestCheckTrace(t *testing.T) {
	tests := []struct {
		name, id      string
		events        bool
		stage, source string
		want          string // "" is no error
	}{
		{name: "a plain explain", id: "AN1828"},
		{name: "a trace", id: "AN1828", events: true, source: "windows"},
		{name: "a stage without a trace", id: "T1003", stage: "params"},
		{name: "a trace of a technique", id: "T1509", events: true, want: "--events traces one analytic, not technique T1509: stixcel explain T1509 lists its analytics"},
		{name: "a trace stopped after a stage", id: "AN1828", events: true, stage: "params", want: "--events runs the complete plan: leave out --stage params"},
		{name: "a source without events", id: "AN1828", source: "windows", want: "--source maps the raw events of --events: give --events FILE too"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTrace(tc.id, tc.events, tc.stage, tc.source)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tc.want)
		})
	}
}
