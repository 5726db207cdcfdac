package tester

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/pack"
)

// TestVerdict: a run fails when a case failed, when no case ran, or when cases were skipped
// or todo unless they are allowed; a skip names the bundle that would load its analytic.
func TestVerdict(t *testing.T) {
	packs := []*pack.Pack{{Bindings: []*pack.Binding{{File: "enterprise/AN1030.yaml", Analytic: pack.String{Value: "AN1030"}}}}}
	tests := []struct {
		name      string
		sum       Summary
		allowSkip bool
		want      string // "" passes
	}{
		{name: "all passed", sum: Summary{Total: 2, Passed: 2}},
		{name: "a failure", sum: Summary{Total: 2, Passed: 1, Failed: 1}, allowSkip: true, want: ErrFailed.Error()},
		{name: "a case that could not run", sum: Summary{Total: 1, Errored: 1}, want: ErrFailed.Error()},
		{name: "none", sum: Summary{}, want: "no test case ran: none found"},
		{name: "todo", sum: Summary{Total: 2, Passed: 1, Todo: 1}, want: "1 of 2 test cases are marked todo: fill them in and remove todo, or --allow-skip"},
		{name: "todo allowed", sum: Summary{Total: 2, Passed: 1, Todo: 1}, allowSkip: true},
		{name: "all todo, allowed", sum: Summary{Total: 2, Todo: 2}, allowSkip: true, want: "no test case ran: all 2 are marked todo"},
		{name: "all skipped, allowed", sum: Summary{Total: 1, Skipped: 1}, allowSkip: true,
			want: "no test case ran: all 1 skipped, their analytics not loaded; pass --bundle enterprise-attack-….json"},
		{name: "a skip", sum: Summary{Total: 3, Passed: 2, Skipped: 1},
			want: "1 of 3 test cases skipped, their analytics not loaded: pass --bundle enterprise-attack-….json, or --allow-skip"},
		{name: "a skip allowed", sum: Summary{Total: 3, Passed: 2, Skipped: 1}, allowSkip: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.sum.Verdict(tc.allowSkip, &attack.Index{}, packs)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tc.want)
		})
	}
}
