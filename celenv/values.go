package celenv

import (
	"sort"
	"time"

	"github.com/stixcel/stixcel/plan"
)

// Canonical checks v against the parameter type written typ (see plan.Type.Canonical), for
// callers that hold a type's text rather than a parsed plan.Type.
func Canonical(typ string, v any) (any, error) {
	return plan.ParseType(typ).Canonical(v)
}

// ParseDuration reads Go durations ("90s", "1h30m") plus whole days ("2d"): plan.ParseDuration.
func ParseDuration(s string) (time.Duration, error) { return plan.ParseDuration(s) }

// FormatDuration writes d in its shortest Go form (10m, 1h30m, 5s, 1.5s): plan.FormatDuration.
func FormatDuration(d time.Duration) string { return plan.FormatDuration(d) }

// SortedKeys returns the keys of m in order (deterministic output helpers).
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
