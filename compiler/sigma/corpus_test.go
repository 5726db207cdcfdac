package sigma

import (
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

// TestDecodeSigmaHQ decodes every rule of SigmaHQ's snapshot (rules, emerging threats,
// threat hunting, placeholders): its own rules must decode without a single error, every
// modifier they use must be one this package knows and accepts where it stands, and every
// matcher must Expand.
func TestDecodeSigmaHQ(t *testing.T) {
	kinds := map[Kind]int{}
	modifiers := map[string]int{}
	files, rules := 0, 0
	var failures []string
	for _, path := range shared.SigmaRuleFiles(t, "rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder") {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		files++
		rs, ds := Decode(path, data)
		for _, d := range ds {
			failures = append(failures, d.Error())
		}
		for _, r := range rs {
			rules++
			kinds[r.Kind]++
			failures = append(failures, countModifiers(r, modifiers)...)
		}
	}
	assert.Empty(t, failures)
	assert.Greater(t, rules, 3000)
	t.Logf("%d files, %d rules, by kind %v", files, rules, kinds)
	names := make([]string, 0, len(modifiers))
	for name := range modifiers {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if modifiers[names[i]] != modifiers[names[j]] {
			return modifiers[names[i]] > modifiers[names[j]]
		}
		return names[i] < names[j]
	})
	for _, name := range names {
		t.Logf("modifier %-14s %d", name, modifiers[name])
	}
}

// countModifiers counts the modifiers of r's matchers and returns the errors of their
// Expand.
func countModifiers(r *Rule, counts map[string]int) []string {
	if r.Detection == nil {
		return nil
	}
	var errs []string
	for _, s := range r.Detection.Searches {
		for _, g := range s.Groups {
			for _, m := range g {
				for _, mod := range m.Modifiers {
					counts[mod.Name]++
				}
				if _, err := m.Expand(); err != nil {
					errs = append(errs, err.Error())
				}
			}
		}
	}
	return errs
}
