package bounded

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keys is a block mapping of n keys.
func keys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d: v\n", i)
	}
	return b.String()
}

// indented nests n block mappings by indentation.
func indented(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat(" ", i), i)
	}
	return b.String()
}

func TestCheckYAML(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // error; "" for none
	}{
		{"a binding", "analytic: AN1\nchannels:\n  c1:\n    when: |\n      x in [\"a\", 'b']\n    - y\ncondition: c1 # [[[\n", ""},
		{"brackets in block scalars, quotes and comments do not nest",
			"a: |\n  " + strings.Repeat("[", 100) + "\nb: '" + strings.Repeat("{", 100) + "'\nc: \"\\\"" + strings.Repeat("[", 100) + "\"\n# " + strings.Repeat("[", 100) + "\n", ""},
		{"brackets inside plain scalars do not nest", "a: x[0]" + strings.Repeat("[", 100) + "\n", ""},
		{"a multi-line flow list", "a: [1,\n  [2, 3],\n  {b: c}]\nd: e\n", ""},
		{"64 flow levels", strings.Repeat("[", 63) + strings.Repeat("]", 63), ""},
		{"deep flow lists", strings.Repeat("[", 32000) + strings.Repeat("]", 32000), "YAML nested deeper than the depth limit of 64 at line 1, column 65, offset 64"},
		{"deep flow mappings", strings.Repeat("{a: ", 100), "depth limit of 64 at line 1, column 257, offset 256"},
		{"deep block sequences", strings.Repeat("- ", 100) + "x\n", "depth limit of 64 at line 1, column 129, offset 128"},
		{"deep indentation", indented(100), "depth limit of 64 at line 65, column 65"},
		{"block and flow levels add up", indented(40) + strings.Repeat(" ", 40) + strings.Repeat("[", 30), "depth limit of 64 at line 41, column 65"},
		{"5,000 keys", keys(5000), ""},
		{"too many keys in one mapping", keys(40000), "more keys in one mapping than the limit of 5000 at line 5001, column 1"},
		{"keys of sibling mappings count apart", "a:\n" + strings.ReplaceAll(keys(3000), "k", "  k") + "b:\n" + strings.ReplaceAll(keys(3000), "k", "  k"), ""},
		{"too many nodes", "[" + strings.Repeat("0,", 30000) + "]", "more YAML nodes than the limit of 50000 at line 1, column 50001, offset 50000"},
		{"a line of spaces", " ", ""},
		{"an apostrophe inside a plain scalar opens no quote", "a: don 't\n" + keys(6000) + "b: '\n", "more keys in one mapping than the limit of 5000 at line 5001, column 1"},
		{"a quote inside a plain flow scalar opens none", "a: [x 'y, " + strings.Repeat("[", 70) + "\n", "depth limit of 64 at line 1, column 73"},
		{"a quoted scalar over lines hides what it holds", "a: 'x\n" + strings.Repeat("[", 100) + "\n'\n", ""},
		{"too large", strings.Repeat("#", MaxYAMLSize+1), "the file is larger than the YAML size limit of 8 MiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckYAML([]byte(tc.in), DefaultYAML)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			var lerr *LimitError
			require.ErrorAs(t, err, &lerr)
			got := fmt.Sprintf("%s at line %d, column %d, offset %d", lerr.Msg, lerr.Line, lerr.Col, lerr.Offset)
			assert.Contains(t, got, tc.want)
		})
	}
}

// TestCheckYAMLPassesTheRepository checks every YAML file of the module, and reports the
// largest counts, to show how far below the limits real files stay.
func TestCheckYAMLPassesTheRepository(t *testing.T) {
	n := 0
	err := filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return err
		}
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		if strings.Contains(p, "/bad/") {
			return nil
		}
		n++
		assert.NoError(t, CheckYAML(data, YAMLLimits{Size: MaxYAMLSize, Depth: 10, Nodes: 5000, Keys: 200}), p)
		return nil
	})
	require.NoError(t, err)
	t.Logf("%d files within depth 10, 5,000 nodes and 200 keys per mapping", n)
}
