package coverage

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/plan"
)

func planOf(id string, kind plan.Kind, channels int, techniques ...plan.Technique) *plan.Plan {
	p := &plan.Plan{ID: id, Kind: kind, Domains: []string{"enterprise-attack"}, Techniques: techniques}
	for range channels {
		p.Channels = append(p.Channels, &plan.Channel{})
	}
	return p
}

var (
	lsass = plan.Technique{ID: "T1003.001", Name: "LSASS Memory", Tactics: []string{"credential-access"}}
	ps    = plan.Technique{ID: "T1059.001", Name: "PowerShell", Tactics: []string{"execution"}}
	token = plan.Technique{ID: "T1134", Name: "Access Token Manipulation", Tactics: []string{"defense-evasion", "privilege-escalation"}}
)

// TestBuild: a technique scores as its best analytic, under each of its tactics, and lists
// its analytics best first with what the telemetry fed.
func TestBuild(t *testing.T) {
	r := Build(Input{
		Plans: []*plan.Plan{
			planOf("AN0002", plan.KindDetection, 2, lsass),
			planOf("AN0001", plan.KindSelector, 1, lsass),
			planOf("AN0003", plan.KindDetection, 1, ps),
			planOf("AN0004", plan.KindInert, 1, token),
		},
		Tested: map[string]bool{"AN0002": true},
		Feeds:  map[string]Feed{"AN0002": {Observed: 1, Events: 5}, "AN0001": {Observed: 1, Events: 9}},
	})
	require.Len(t, r.Techniques, 4)
	got := map[string]Status{}
	for _, tech := range r.Techniques {
		got[tech.Tactic+"/"+tech.ID] = tech.Status
	}
	assert.Equal(t, map[string]Status{
		"credential-access/T1003.001": Tested, "execution/T1059.001": Untested,
		"defense-evasion/T1134": Inert, "privilege-escalation/T1134": Inert,
	}, got)
	first := r.Techniques[0]
	assert.Equal(t, "credential-access", first.Tactic)
	assert.Equal(t, []string{"AN0002", "AN0001"}, []string{first.Analytics[0].ID, first.Analytics[1].ID}, "best first")

	l := r.Layer("cov", "18")
	assert.Equal(t, "AN0002 (1/2 channels seen)", l.Techniques[0].Metadata[0].Value)
	assert.Equal(t, "tested: AN0002 (1/2 channels seen); selector: AN0001 (fed)", l.Techniques[0].Comment)
	assert.Equal(t, 100, l.Techniques[0].Score)

	var text bytes.Buffer
	require.NoError(t, r.WriteText(&text))
	assert.Contains(t, text.String(), "credential-access                 1      1        0        0      0         2    1\n")
}

// TestLayerFormat checks the layer against the Navigator 4.5 layer fields: versions.layer,
// domain, techniques[].techniqueID/tactic/score, gradient and legend.
func TestLayerFormat(t *testing.T) {
	r := Build(Input{Plans: []*plan.Plan{planOf("AN0002", plan.KindDetection, 1, lsass)}})
	data, err := json.Marshal(r.Layer("cov", "18"))
	require.NoError(t, err)
	var layer struct {
		Name     string `json:"name"`
		Versions struct {
			Attack, Navigator, Layer string
		} `json:"versions"`
		Domain     string `json:"domain"`
		Techniques []struct {
			TechniqueID string `json:"techniqueID"`
			Tactic      string `json:"tactic"`
			Score       *int   `json:"score"`
			Enabled     bool   `json:"enabled"`
		} `json:"techniques"`
		Gradient struct {
			Colors             []string
			MinValue, MaxValue int
		} `json:"gradient"`
		LegendItems []struct{ Label, Color string } `json:"legendItems"`
	}
	require.NoError(t, json.Unmarshal(data, &layer))
	assert.Equal(t, "4.5", layer.Versions.Layer)
	assert.Equal(t, "18", layer.Versions.Attack)
	assert.Equal(t, "enterprise-attack", layer.Domain)
	require.Len(t, layer.Techniques, 1)
	assert.Equal(t, "T1003.001", layer.Techniques[0].TechniqueID)
	assert.Equal(t, "credential-access", layer.Techniques[0].Tactic)
	require.NotNil(t, layer.Techniques[0].Score)
	assert.Equal(t, 70, *layer.Techniques[0].Score)
	assert.Len(t, layer.LegendItems, 4)
	assert.Equal(t, 100, layer.Gradient.MaxValue)
}

// TestOnPlatforms: the plans for any of the platforms named, in any case, in their order;
// the report and its layer name the platforms as the analytics spell them and filter the
// matrix on them; a platform no plan has is an error naming those there are.
func TestOnPlatforms(t *testing.T) {
	on := func(p *plan.Plan, platforms ...string) *plan.Plan { p.Platforms = platforms; return p }
	plans := []*plan.Plan{
		on(planOf("AN0001", plan.KindDetection, 1, lsass), "Windows"),
		on(planOf("AN0002", plan.KindDetection, 1, ps), "Linux", "macOS"),
		on(planOf("AN0003", plan.KindSelector, 1, token), "macOS"),
		planOf("AN0004", plan.KindInert, 1, token),
	}
	tests := []struct {
		name          string
		names         []string
		wantPlans     []string
		wantPlatforms []string
		wantErr       string
	}{
		{name: "none keeps every plan", wantPlans: []string{"AN0001", "AN0002", "AN0003", "AN0004"}},
		{name: "any case", names: []string{"WINDOWS"}, wantPlans: []string{"AN0001"}, wantPlatforms: []string{"Windows"}},
		{name: "several, once each", names: []string{"macos", " linux", "MacOS"}, wantPlans: []string{"AN0002", "AN0003"}, wantPlatforms: []string{"macOS", "Linux"}},
		{name: "unknown", names: []string{"Windows", "Windwos"}, wantErr: `no loaded analytic is for platform "Windwos" (the analytics' platforms: Linux, Windows, macOS)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kept, platforms, err := OnPlatforms(plans, tc.names)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			var ids []string
			for _, p := range kept {
				ids = append(ids, p.ID)
			}
			assert.Equal(t, tc.wantPlans, ids)
			assert.Equal(t, tc.wantPlatforms, platforms)

			l := Build(Input{Plans: kept, Platforms: platforms}).Layer("cov", "18")
			if len(tc.wantPlatforms) == 0 {
				assert.Nil(t, l.Filters, "no filter without platforms")
				assert.Equal(t, "cov", l.Name)
				return
			}
			require.NotNil(t, l.Filters)
			assert.Equal(t, tc.wantPlatforms, l.Filters.Platforms)
			assert.Equal(t, "cov ("+strings.Join(tc.wantPlatforms, ", ")+")", l.Name)
		})
	}
}

// TestBuildSigmaRules: a Sigma rule covers the techniques of its tags beside the analytics,
// tested when its regression tests passed, and the layer names it by its title.
func TestBuildSigmaRules(t *testing.T) {
	rule := func(id, title string, techniques ...plan.Technique) *plan.Plan {
		p := planOf(id, plan.KindDetection, 1, techniques...)
		p.Name, p.Origin, p.Rule = title, plan.OriginSigma, &plan.Rule{ID: id, Title: title}
		return p
	}
	tests := []struct {
		name        string
		tested      map[string]bool
		wantStatus  map[string]Status
		wantComment string
	}{
		{name: "untested rule beside a selector", wantStatus: map[string]Status{"credential-access/T1003.001": Untested, "execution/T1059.001": Untested},
			wantComment: "untested: Sigma: LSASS Access; selector: AN0001"},
		{name: "tested rule", tested: map[string]bool{"0b9ad457": true}, wantStatus: map[string]Status{"credential-access/T1003.001": Tested, "execution/T1059.001": Untested},
			wantComment: "tested: Sigma: LSASS Access; selector: AN0001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Build(Input{Plans: []*plan.Plan{
				planOf("AN0001", plan.KindSelector, 1, lsass),
				rule("0b9ad457", "LSASS Access", lsass),
				rule("5b6f1b8e", "Encoded PowerShell", ps),
			}, Tested: tc.tested})
			got := map[string]Status{}
			for _, tech := range r.Techniques {
				got[tech.Tactic+"/"+tech.ID] = tech.Status
			}
			assert.Equal(t, tc.wantStatus, got)
			assert.Equal(t, Analytic{ID: "0b9ad457", Rule: "LSASS Access", Status: tc.wantStatus["credential-access/T1003.001"]}, r.Techniques[0].Analytics[0])
			assert.Equal(t, tc.wantComment, r.Layer("cov", "18").Techniques[0].Comment)
			var text bytes.Buffer
			require.NoError(t, r.WriteText(&text))
			assert.Contains(t, text.String(), "analytics  fed rules\n")
			assert.Contains(t, text.String(), "credential-access                 1")
		})
	}
}
