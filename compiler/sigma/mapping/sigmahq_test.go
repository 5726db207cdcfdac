package mapping

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

type logsourceKey struct{ product, category, service string }

func (k logsourceKey) String() string {
	return fmt.Sprintf("product=%s category=%s service=%s", k.product, k.category, k.service)
}

// sigmaLogsources reads the logsource of every rule file under the SigmaHQ rule sets and
// counts the rules of each (product, category, service).
func sigmaLogsources(t *testing.T) map[logsourceKey]int {
	counts := map[logsourceKey]int{}
	for _, path := range shared.SigmaRuleFiles(t) {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		var rule struct {
			Logsource struct{ Product, Category, Service string } `yaml:"logsource"`
		}
		require.NoError(t, yaml.Unmarshal(data, &rule), path)
		ls := rule.Logsource
		counts[logsourceKey{ls.Product, ls.Category, ls.Service}]++
	}
	require.NotEmpty(t, counts, "no SigmaHQ rules found")
	return counts
}

// TestCoversEverySigmaHQWindowsLogsource: every Windows category and service SigmaHQ's rules
// use maps to events; a rule naming only the product (a keywords rule over any Windows log)
// has nothing to select and is listed.
func TestCoversEverySigmaHQWindowsLogsource(t *testing.T) {
	m := Builtin()
	counts := sigmaLogsources(t)
	var uncovered, other []string
	pairs, rules, covered := 0, 0, 0
	for k, n := range counts {
		if k.product != "windows" {
			other = append(other, fmt.Sprintf("%s (%d rules)", k, n))
			continue
		}
		rules += n
		if k.category == "" && k.service == "" {
			t.Logf("product only, not mappable: %s (%d rules)", k, n)
			continue
		}
		pairs++
		if _, ok := m.Lookup(k.product, k.category, k.service); !ok {
			uncovered = append(uncovered, fmt.Sprintf("%s (%d rules)", k, n))
			continue
		}
		covered += n
	}
	sort.Strings(other)
	t.Logf("windows: %d (category, service) pairs, %d of %d rules covered", pairs, covered, rules)
	t.Logf("not windows, not mapped (%d log sources):\n  %s", len(other), strings.Join(other, "\n  "))
	assert.Empty(t, uncovered, "Windows log sources SigmaHQ uses that the mapping lacks")
}

// TestLogSourcesAreTheWindowsProfiles: a target names a channel the way the built-in windows
// source profile does, so it selects the events the profile produces (WinEventLog:Sysmon,
// never WinEventLog:Microsoft-Windows-Sysmon/Operational).
func TestLogSourcesAreTheWindowsProfiles(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "source", "profiles", "windows.yaml"))
	require.NoError(t, err)
	var profile struct {
		Maps struct {
			LogSources map[string]string `yaml:"log_sources"`
		} `yaml:"maps"`
	}
	require.NoError(t, yaml.Unmarshal(data, &profile))
	require.NotEmpty(t, profile.Maps.LogSources)
	for name, p := range Builtin().Products {
		for what, entries := range map[string]map[string][]Target{"category": p.Categories, "service": p.Services} {
			for entry, targets := range entries {
				for _, tg := range targets {
					channel, ok := strings.CutPrefix(tg.LogSource, "WinEventLog:")
					require.True(t, ok, "%s %s %s: %s is not a Windows event log", name, what, entry, tg.LogSource)
					if short, listed := profile.Maps.LogSources[strings.ToLower(channel)]; listed && short != tg.LogSource {
						assert.Fail(t, "a channel the profile renames", "%s %s %s: %s; the profile names it %s",
							name, what, entry, tg.LogSource, short)
					}
				}
			}
		}
	}
}
