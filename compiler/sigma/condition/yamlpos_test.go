package condition

import (
	"testing"

	"github.com/stixcel/stixcel/internal/yamlpos"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErrorsMapToTheRuleFile checks the position contract: an error's Line and Col, passed
// to yamlpos.String.PosAt, name the character in the YAML file, for plain (folded over
// lines), quoted and block conditions.
func TestErrorsMapToTheRuleFile(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"plain", "detection:\n  sel: {a: 1}\n  condition: sel and filter\n", "rule.yml:3:22"},
		{"plain over lines", "detection:\n  sel: {a: 1}\n  condition:\n    sel and\n      (1 of filter_*)\n", "rule.yml:5:13"},
		{"double-quoted", "detection:\n  sel: {a: 1}\n  condition: \"sel and\\tfilter\"\n", "rule.yml:3:24"},
		{"literal block", "detection:\n  sel: {a: 1}\n  condition: |\n    sel and\n     filter\n", "rule.yml:5:6"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := yamlpos.NewDecoder("rule.yml", []byte(tc.yaml))
			top, ok := d.Map(d.Document([]byte(tc.yaml)), "rule")
			require.True(t, ok, "%v", d.Diags)
			entries, ok := d.Map(top[0].Value, "detection")
			require.True(t, ok, "%v", d.Diags)
			cond, ok := d.Str(entries[1].Value, "condition")
			require.True(t, ok, "%v", d.Diags)

			_, err := Parse(cond.Value, []string{entries[0].Key.Value})
			var errs Errors
			require.ErrorAs(t, err, &errs)
			require.Len(t, errs, 1)
			assert.Equal(t, tc.want, cond.PosAt(errs[0].At.Line, errs[0].At.Col).String(), "%v", errs[0])
		})
	}
}
