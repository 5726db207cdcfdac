package compiler_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/internal/golden"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
)

// seedIndex loads the embedded seed bundle (AN1828 alone).
func seedIndex(t testing.TB) *attack.Index {
	t.Helper()
	l, err := stixcel.Inputs{NoBuiltin: true}.Load()
	require.NoError(t, err)
	return l.Index
}

func loadIndex(t testing.TB, elem ...string) *attack.Index {
	t.Helper()
	ix, _, err := attack.LoadPaths([]string{shared.Path(t, elem...)}, attack.Options{})
	require.NoError(t, err)
	return ix
}

func planJSON(t testing.TB, p *plan.Plan) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, (&plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{p}}).Write(&buf))
	return buf.Bytes()
}

func findPlan(t testing.TB, set *plan.Set, id string) *plan.Plan {
	t.Helper()
	for _, p := range set.Plans {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("plan %s not compiled", id)
	return nil
}

func TestCompileCorpus(t *testing.T) {
	tests := []struct {
		name      string
		index     func(testing.TB) *attack.Index
		wantPlans int
	}{
		{"seed", seedIndex, 1},
		{"enterprise", func(t testing.TB) *attack.Index {
			return loadIndex(t, "attack", "enterprise-attack-18.1-detection.json")
		}, 1739},
		{"mobile", func(t testing.TB) *attack.Index { return loadIndex(t, "attack", "mobile-attack-18.1-detection.json") }, 211},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, diags := compiler.Compile(tc.index(t), compiler.Options{})
			require.NoError(t, diags.Err())
			require.Len(t, set.Plans, tc.wantPlans)
			refs, derived := 0, 0
			kinds := map[plan.Kind]int{}
			for _, p := range set.Plans {
				kinds[p.Kind]++
				for _, ch := range p.Channels {
					refs++
					if ch.Selector != "" {
						derived++
					} else {
						assert.NotEmpty(t, ch.Reason, "%s %s: no selector and no reason", p.ID, ch.ID)
					}
				}
				for _, prm := range p.Params {
					assert.NotEmpty(t, prm.Type, "%s param %s untyped", p.ID, prm.Name)
				}
			}
			t.Logf("%s: %d plans %v; %d/%d log source references derived (%.1f%%)",
				tc.name, len(set.Plans), kinds, derived, refs, 100*float64(derived)/float64(max(refs, 1)))
			if tc.name == "enterprise" {
				assert.GreaterOrEqual(t, float64(derived)/float64(refs), 0.45, "derived share")
			}
		})
	}
}

// TestCompileEnterpriseHuntSources: of the 992 selector plans of ATT&CK v18.1 enterprise (979
// with the built-in pack), the hunt sources are those with a selector testing more than the
// event type.
func TestCompileEnterpriseHuntSources(t *testing.T) {
	set, diags := compiler.Compile(loadIndex(t, "attack", "enterprise-attack-18.1-detection.json"), compiler.Options{})
	require.NoError(t, diags.Err())
	var hunts []string
	selectors := 0
	for _, p := range set.Plans {
		if p.Kind == plan.KindSelector {
			selectors++
		}
		if p.Hunt {
			require.Equal(t, plan.KindSelector, p.Kind, p.ID)
			hunts = append(hunts, p.ID)
		}
		for _, ch := range p.Channels {
			assert.Equal(t, ch.Selector != "", ch.Selects != "", "%s %s: selects %q for selector %q", p.ID, ch.ID, ch.Selects, ch.Selector)
		}
	}
	assert.Equal(t, 992, selectors)
	// CmdletName (AN1089), api_call (AN1253, AN1324), status (AN1265), process (AN1639).
	assert.Equal(t, []string{"AN1089", "AN1253", "AN1265", "AN1324", "AN1639"}, hunts)
}

func TestCompileSeed(t *testing.T) {
	set, diags := compiler.Compile(seedIndex(t), compiler.Options{})
	require.NoError(t, diags.Err())
	p := findPlan(t, set, "AN1828")
	assert.Len(t, p.Channels, 7)
	assert.Len(t, p.Params, 8)
	assert.Equal(t, "DET0706", p.DetectionStrategy)
	assert.Equal(t, plan.KindSelector, p.Kind, "c4 DeviceLockState=locked derives a selector")
	assert.Equal(t, `has(event.DeviceLockState) && event.DeviceLockState == "locked"`, p.Channel("c4").Selector)
	assert.Equal(t, plan.SelectsContent, p.Channel("c4").Selects, "the lock state is no event type")
	assert.True(t, p.Hunt, "a selector plan with a content selector is a hunt source")
	types := map[string]string{}
	for _, prm := range p.Params {
		types[prm.Name] = prm.Type.String()
	}
	assert.Equal(t, map[string]string{
		"AllowedProtocolPortMappings": "map(string, list(int))",
		"SupervisedRequired":          "bool",
		"AllowedManagedApps":          "list(string)",
		"AllowedServiceClasses":       "list(string)",
		"TimeWindow":                  "duration",
		"RecentUserInteractionWindow": "duration",
		"BeaconIntervalTolerance":     "duration",
		"EnterpriseExceptionList":     "list(string)",
	}, types)
}

func TestGoldenAN1828WithBuiltinPack(t *testing.T) {
	set, diags, err := stixcel.Inputs{}.Compile()
	require.NoError(t, err)
	require.NoError(t, diags.Err())
	p := findPlan(t, set, "AN1828")
	assert.Equal(t, plan.KindDetection, p.Kind)
	assert.Equal(t, []plan.Technique{{ID: "T1509", Name: "Non-Standard Port", Tactics: []string{}}}, p.Techniques)
	// The runtime's tests run this same file: compiler and runtime agree on one artifact.
	golden.Check(t, filepath.Join("..", "testdata", "plans", "AN1828.plan.json"), planJSON(t, p))
}

func TestGoldenAN1030(t *testing.T) {
	set, diags := compiler.Compile(loadIndex(t, "attack", "enterprise-attack-18.1-detection.json"), compiler.Options{})
	require.NoError(t, diags.Err())
	golden.Check(t, filepath.Join("testdata", "golden", "AN1030.plan.json"), planJSON(t, findPlan(t, set, "AN1030")))
}

func TestCompileDeterministic(t *testing.T) {
	l, err := stixcel.Inputs{Bundles: []string{shared.Path(t, "attack", "mobile-attack-18.1-detection.json")}}.Load()
	require.NoError(t, err)
	var outs [2][]byte
	for i := range outs {
		set, diags := l.Compile("")
		require.NoError(t, diags.Err())
		var buf bytes.Buffer
		require.NoError(t, set.Write(&buf))
		outs[i] = buf.Bytes()
	}
	assert.Equal(t, outs[0], outs[1])
	var back plan.Set
	require.NoError(t, json.Unmarshal(outs[0], &back), "the artifact reloads")
}

func BenchmarkCompileEnterprise(b *testing.B) {
	path := shared.Path(b, "attack", "enterprise-attack-18.1-detection.json")
	data, err := os.ReadFile(path)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		ix, _, err := attack.Load([]attack.Source{{Name: path, Data: data}}, attack.Options{})
		if err != nil {
			b.Fatal(err)
		}
		set, diags := compiler.Compile(ix, compiler.Options{})
		if diags.HasErrors() || len(set.Plans) != 1739 {
			b.Fatalf("compile: %d plans, %v", len(set.Plans), diags)
		}
		var buf bytes.Buffer
		if err := set.Write(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAlertContextFromTheBundle: what alerts cite comes from the bundle into the plan — the
// strategy's name, each technique's tactics, and the fields each channel reads.
func TestAlertContextFromTheBundle(t *testing.T) {
	in := stixcel.Inputs{Bundles: []string{shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")}}
	set, _, err := in.Compile()
	require.NoError(t, err)
	p := findPlan(t, set, "AN1030")
	assert.Equal(t, "DET0363", p.DetectionStrategy)
	assert.Equal(t, "Detection of Credential Dumping from LSASS Memory via Access and Dump Sequence", p.DetectionStrategyName)
	require.NotEmpty(t, p.Techniques)
	assert.Equal(t, []string{"credential-access"}, p.Techniques[0].Tactics)
	c1 := p.Channel("c1")
	require.NotNil(t, c1)
	assert.Contains(t, c1.Fields, "EventCode", "the derived selector's field")
	assert.Contains(t, c1.Fields, "TargetImage", "a field the binding's predicate reads")
}
