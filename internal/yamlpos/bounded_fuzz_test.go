package yamlpos

import (
	"testing"

	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/internal/bounded"
)

// astShape returns the nesting depth of n's collections and the most keys of one block
// mapping in it.
func astShape(n ast.Node) (depth, keys int) {
	sub := func(children ...ast.Node) (int, int) {
		d, k := 0, 0
		for _, c := range children {
			cd, ck := astShape(c)
			d, k = max(d, cd), max(k, ck)
		}
		return d, k
	}
	switch v := n.(type) {
	case *ast.MappingNode:
		var children []ast.Node
		for _, mv := range v.Values {
			if mv != nil {
				children = append(children, mv.Key, mv.Value)
			}
		}
		d, k := sub(children...)
		if !v.IsFlowStyle {
			k = max(k, len(v.Values))
		}
		return d + 1, k
	case *ast.MappingValueNode:
		d, k := sub(v.Key, v.Value)
		return d + 1, max(k, 1)
	case *ast.SequenceNode:
		d, k := sub(v.Values...)
		return d + 1, k
	case *ast.AnchorNode:
		return sub(v.Value)
	case *ast.TagNode:
		return sub(v.Value)
	case *ast.MappingKeyNode:
		return sub(v.Value)
	}
	return 0, 0
}

// FuzzCheckYAML holds package bounded's YAML scanner to goccy's parser: whatever the scanner
// lets through with small limits, goccy parses no deeper and with no more keys per block
// mapping than those limits. (The scanner may refuse more than it must; it must never let
// through more.)
func FuzzCheckYAML(f *testing.F) {
	for _, s := range []string{
		"a: b\nc: [d, {e: f}]\n", "- - - x\n", "a: 'x\n[[[\n'\n", "a: |\n  [[[\nb: c\n", "a: don 't\nb: c\n",
		"? [a]\n: b\n", "a: \"\\\"[[\"\n", "{a: [b, [c, [d]]]}", "a:\n  b:\n    c:\n      d: e\n", "--- [a]\n--- {b: c}\n",
		"a: [x 'y, [z]]\n", "a: >-\n  x\n b: [[[\n",
	} {
		f.Add([]byte(s))
	}
	lim := bounded.YAMLLimits{Size: 1 << 20, Depth: 6, Nodes: 1 << 20, Keys: 8}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bounded.CheckYAML(data, lim) != nil {
			return
		}
		file, err := Parse(data) // within the default limits, which are wider
		if err != nil {
			return
		}
		for _, body := range Bodies(file) {
			if d, k := astShape(body); d > lim.Depth || k > lim.Keys {
				t.Fatalf("the scanner let through depth %d and %d keys of one mapping (limits %d, %d): %q", d, k, lim.Depth, lim.Keys, data)
			}
		}
	})
}
