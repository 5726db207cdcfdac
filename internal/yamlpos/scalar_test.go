package yamlpos

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// scalarVisitor collects the scalar values of every mapping entry as Strings, as the
// decoders read them: missing values, tags and aliases are refused before a scalar is read.
type scalarVisitor struct {
	text *Text
	out  *[]String
}

func (v scalarVisitor) Visit(n ast.Node) ast.Visitor {
	mv, ok := n.(*ast.MappingValueNode)
	if !ok || mv.Value == nil {
		return v
	}
	if tk := mv.Value.GetToken(); tk != nil && tk.Type == token.ImplicitNullType {
		return v
	}
	if s, ok := v.text.Scalar("f.yaml", mv.Value); ok {
		*v.out = append(*v.out, s)
	}
	return v
}

// FuzzScalar reads the scalar values of the mappings of arbitrary YAML: its value aligns with the file text
// (PosAt is then exact), and PosAt never panics and stays in the file.
func FuzzScalar(f *testing.F) {
	for _, dir := range []string{"../../pack/testdata", "../../pack/testdata/bad", "../../source/profiles"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{"a: 'it''s'\nb: \"x\\ty\"\nc: |\n  l1\n  l2\nd: >\n  f1\n  f2\n", "analytic: \"\\\n\"\n", "- a\n- b c\n  d\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		// Where goccy misplaces tokens (lone CR line breaks, tags: both refused or rare in
		// packs and profiles) PosAt falls back to placing the value at Pos: only stay in the file.
		aligns := !bytes.ContainsAny(data, "\r!")
		text := NewText(data)
		var scalars []String
		for _, body := range Bodies(file) {
			ast.Walk(scalarVisitor{text: text, out: &scalars}, body)
		}
		for _, s := range scalars {
			if aligns && strings.TrimSpace(s.Value) != "" { // blank values hold nothing to place
				if _, ok := alignScalar([]rune(s.Value), text.runes, s.start, s.Style); !ok {
					t.Fatalf("no alignment for %q style %v at %v", s.Value, s.Style, s.Pos)
				}
			}
			for _, lc := range [][2]int{{1, 1}, {1, 7}, {2, 5}, {0, 0}, {99, 99}} {
				if p := s.PosAt(lc[0], lc[1]); s.Pos.Line > 0 && p.Line < 1 {
					t.Fatalf("PosAt(%d, %d) of %q at %v = %v", lc[0], lc[1], s.Value, s.Pos, p)
				}
			}
		}
	})
}
