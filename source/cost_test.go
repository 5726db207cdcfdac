package source

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

// TestProfileCostLimit: a profile field whose CEL may cost more than channel CEL may
// (celenv.MaxCost, estimated with raw values as large as channel CEL assumes event values)
// is refused at its place in the file, naming the field (before, profile CEL had no limit: a
// triple comprehension over a raw list ran on every line); ordinary fields, the built-in
// profile and lookups in large tables load.
func TestProfileCostLimit(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{name: "nested comprehensions over a raw list",
			yaml:    "name: p\n" + minimalFields + "  n: raw.items.map(a, raw.items.map(b, raw.items.map(c, a))).size()\n",
			wantErr: "p.yaml:5:6: error: field n: expression too expensive: estimated cost"},
		{name: "in the second alternative",
			yaml:    "name: p\n" + minimalFields + "  n:\n    - raw.n\n    - raw.items.exists(a, raw.items.exists(b, raw.items.exists(c, a == b && b == c)))\n",
			wantErr: "p.yaml:7:7: error: field n: expression too expensive"},
		{name: "a field concatenated four times",
			yaml: "name: p\n" + minimalFields + "  cmd4: raw.cmd + raw.cmd + raw.cmd + raw.cmd\n"},
		{name: "one comprehension",
			yaml: "name: p\n" + minimalFields + "  any_admin: raw.groups.exists(g, g.lowerAscii() == 'administrators')\n"},
		{name: "a lookup",
			yaml: "name: p\nmaps:\n  t:\n    a: b\n" + minimalFields + "  x: maps.t[?raw.k].orValue('none')\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("p.yaml", []byte(tc.yaml))
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			var diags diag.Diagnostics
			require.ErrorAs(t, err, &diags)
			assert.Equal(t, diag.CodeCost, diags[0].Code)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
	_, err := Builtin("windows")
	require.NoError(t, err)
}
