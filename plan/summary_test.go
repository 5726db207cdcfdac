package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSummary: compile's summary counts plans by kind, hunt sources among selectors, and
// channels with logic: bound by a pack (with or without a selector) or derived (a selector).
func TestSummary(t *testing.T) {
	bound := &Channel{Origin: OriginBound, Selector: `event.kind == "x"`, Predicate: "true"}
	derived := &Channel{Origin: OriginDerived, Selector: `event.kind == "x"`}
	none := &Channel{Origin: OriginNone}
	tests := []struct {
		name  string
		plans []*Plan
		want  string
	}{
		{"no plans", nil,
			"compiled 0 plans (0 detection, 0 selector of which 0 hunt sources, 0 inert); 0/0 channels with logic (0.0%: 0 derived, 0 bound)"},
		{"one of each kind", []*Plan{
			{Kind: KindDetection, Channels: []*Channel{bound, derived}},
			{Kind: KindSelector, Hunt: true, Channels: []*Channel{derived, none}},
			{Kind: KindSelector, Channels: []*Channel{derived}},
			{Kind: KindInert, Channels: []*Channel{none, none}},
		}, "compiled 4 plans (1 detection, 2 selector of which 1 hunt sources, 1 inert); 4/7 channels with logic (57.1%: 3 derived, 1 bound)"},
		{"a bound channel without a selector has logic", []*Plan{{Kind: KindDetection, Channels: []*Channel{{Origin: OriginBound, Predicate: "true"}}}},
			"compiled 1 plans (1 detection, 0 selector of which 0 hunt sources, 0 inert); 1/1 channels with logic (100.0%: 0 derived, 1 bound)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, (&Set{Plans: tc.plans}).Summary())
		})
	}
}
