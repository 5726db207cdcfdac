package tester

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/pack"
)

// TestEvalErrorsFailTheCase: a binding whose expression fails to evaluate is silent (an
// error counts as false), so its cases' alerts match; the errors fail each case all the same,
// naming the channel and the CEL error, unless AllowEvalErrors.
func TestEvalErrorsFailTheCase(t *testing.T) {
	var packs []*pack.Pack
	for _, dir := range []string{"every", "some"} {
		p := pack.FromDir(filepath.Join("testdata", "evalerrors", dir))
		require.Empty(t, p.Diagnostics)
		packs = append(packs, p)
	}
	tests := []struct {
		name    string
		allow   bool
		want    string
		message []string
	}{
		{name: "errors fail", want: outcomeFail, message: []string{
			"the alerts match, but 2 evaluations failed (each counted as false", "--allow-eval-errors",
			"2 errors of AN1828 c5: no such key: EventCode"}},
		{name: "allowed", allow: true, want: outcomePass},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			results := collect(t, NewRunner(seedIndex(t), Options{AllowEvalErrors: tc.allow}), packs...)
			require.Len(t, results, 2)
			for _, r := range results {
				assert.Equal(t, tc.want, outcome(r), "%s: %s\n%s", r.Location, r.ID(), r.Diff)
				assert.NotEmpty(t, r.EvalErrors, r.ID())
			}
			for _, m := range tc.message {
				assert.Contains(t, results[0].Diff, m)
			}
			if !tc.allow {
				assert.Contains(t, results[1].Diff, "1 error of AN1828 c5: no such key: activity")
			}
		})
	}
}
