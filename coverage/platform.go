package coverage

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/stixcel/stixcel/plan"
)

// OnPlatforms returns the plans for one of the platforms named (ATT&CK platforms as the
// analytics list them, such as Windows, Linux, macOS; in any case), in their order, and the
// platforms as the plans spell them. No names keeps every plan. A name no plan has is an
// error listing the platforms there are.
func OnPlatforms(plans []*plan.Plan, names []string) ([]*plan.Plan, []string, error) {
	if len(names) == 0 {
		return plans, nil, nil
	}
	known := map[string]string{} // lower case → as spelled
	for _, p := range plans {
		for _, pl := range p.Platforms {
			known[strings.ToLower(pl)] = pl
		}
	}
	var want []string
	for _, name := range names {
		pl, ok := known[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			return nil, nil, fmt.Errorf("no loaded analytic is for platform %q (the analytics' platforms: %s)", name, platformList(known))
		}
		if !slices.Contains(want, pl) {
			want = append(want, pl)
		}
	}
	var out []*plan.Plan
	for _, p := range plans {
		if slices.ContainsFunc(p.Platforms, func(pl string) bool { return slices.Contains(want, known[strings.ToLower(pl)]) }) {
			out = append(out, p)
		}
	}
	return out, want, nil
}

// platformList names the known platforms, sorted: "Linux, Windows, macOS" ("none").
func platformList(known map[string]string) string {
	if len(known) == 0 {
		return "none"
	}
	out := make([]string, 0, len(known))
	for _, v := range known {
		out = append(out, v)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
