package runtime

import (
	"os"
	"path"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stixcel/stixcel/plan"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const an1828Binding = "../analytics/mobile/AN1828.yaml"

// binding is the part of a pack binding (docs/packs.md) these tests compare with the plan fixture.
type binding struct {
	Analytic string   `yaml:"analytic"`
	GroupBy  []string `yaml:"group_by"`
	Window   string   `yaml:"window"`
	Params   map[string]struct {
		Type    string `yaml:"type"`
		Default any    `yaml:"default"`
	} `yaml:"params"`
	Channels  map[string]any `yaml:"channels"`
	Condition string         `yaml:"condition"`
	Tests     []struct {
		Name   string         `yaml:"name"`
		Events string         `yaml:"events"`
		Params map[string]any `yaml:"params"`
		Expect []struct {
			Analytic string         `yaml:"analytic"`
			Group    map[string]any `yaml:"group"`
		} `yaml:"expect"`
	} `yaml:"tests"`
}

func loadBinding(t *testing.T) *binding {
	t.Helper()
	data, err := os.ReadFile(an1828Binding)
	require.NoError(t, err)
	var b binding
	require.NoError(t, yaml.Unmarshal(data, &b))
	return &b
}

// TestAN1828BindingMatchesFixture keeps the hand-written plan faithful to the pack binding the
// compiler will merge; once the compiler writes the plan, this guards the fixture's refresh.
func TestAN1828BindingMatchesFixture(t *testing.T) {
	b := loadBinding(t)
	p := loadAN1828(t, nil).Plans[0]
	assert.Equal(t, p.ID, b.Analytic)
	assert.Equal(t, p.Correlation.GroupBy, b.GroupBy)
	assert.Equal(t, p.Correlation.WindowParam, b.Window)
	assert.Equal(t, p.Correlation.Condition, strings.TrimSpace(b.Condition))
	require.Len(t, b.Channels, len(p.Channels))
	for _, ch := range p.Channels {
		var when string
		var seriesBy []string
		switch v := b.Channels[ch.ID].(type) {
		case string:
			when = v
		case map[string]any:
			when, _ = v["when"].(string)
			for _, f := range v["series_by"].([]any) {
				seriesBy = append(seriesBy, f.(string))
			}
		}
		assert.Equal(t, ch.Predicate, strings.TrimSpace(when), "channel %s", ch.ID)
		assert.Equal(t, ch.SeriesBy, seriesBy, "channel %s series_by", ch.ID)
	}
	require.Len(t, b.Params, len(p.Params))
	for _, prm := range p.Params {
		bp := b.Params[prm.Name]
		assert.Equal(t, prm.Type.String(), bp.Type, "param %s type", prm.Name)
		want, err := plan.ParseType(bp.Type).Canonical(bp.Default)
		require.NoError(t, err, prm.Name)
		got, err := prm.Type.Canonical(prm.Value)
		require.NoError(t, err, prm.Name)
		assert.Equal(t, want, got, "param %s default", prm.Name)
	}
}

// TestAN1828BindingTests runs the binding's own tests against the plan fixture.
func TestAN1828BindingTests(t *testing.T) {
	b := loadBinding(t)
	require.NotEmpty(t, b.Tests)
	for _, tc := range b.Tests {
		t.Run(tc.Name, func(t *testing.T) {
			overrides := map[string]any{}
			for name, v := range tc.Params {
				overrides[name] = v
			}
			events := readEvents(t, path.Join(path.Dir(an1828Binding), tc.Events))
			out, stats := run(t, loadAN1828(t, overrides), events)
			assert.Zero(t, stats.EvalErrors)
			type alert struct {
				Analytic string
				Group    map[string]any
			}
			want := []alert{}
			for _, x := range tc.Expect {
				want = append(want, alert{x.Analytic, x.Group})
			}
			got := []alert{}
			for _, o := range out {
				a := o.(*Alert)
				got = append(got, alert{a.Analytic, a.Group})
			}
			assert.Equal(t, want, got)
		})
	}
}
