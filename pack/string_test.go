package pack

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

// markerPos returns the 1-based line:col (in runes) of the only '@' in text, splitting lines at
// \n (after dropping \r, as YAML values and our sources count them).
func markerPos(t *testing.T, text string) (int, int) {
	t.Helper()
	require.Equal(t, 1, strings.Count(text, "@"), "want one marker in %q", text)
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		if j := strings.Index(line, "@"); j >= 0 {
			return i + 1, len([]rune(line[:j])) + 1
		}
	}
	return 0, 0
}

// TestPosAtStyles checks, for every way of writing a scalar, that the '@' in the decoded value
// maps back to the '@' in the file.
func TestPosAtStyles(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		style Style
		value string
	}{
		{"plain", "x: a && @b\n", StylePlain, "a && @b"},
		{"plain folded over lines", "x: first line\n  second @ line\n", StylePlain, "first line second @ line"},
		{"plain marker right after the fold", "x: a\n  @b\n", StylePlain, "a @b"},
		{"plain in a flow mapping", "{y: 1, x: a @}\n", StylePlain, "a @"},
		{"unicode before the marker", "x: é ü 漢 @\n", StylePlain, "é ü 漢 @"},
		{"single-quoted with doubled quote", "x: 'it''s @'\n", StyleSingleQuoted, "it's @"},
		{"double-quoted with escapes", `x: "\t\u00e9\x41\"\\ @"` + "\n", StyleDoubleQuoted, "\téA\"\\ @"},
		{"double-quoted with a literal tab", "x: \"a\tb @\"\n", StyleDoubleQuoted, "a\tb @"},
		{"double-quoted over lines", "x: \"one\n  two @\"\n", StyleDoubleQuoted, "one two @"},
		{"double-quoted escaped line break", "x: \"one \\\n   two@\"\n", StyleDoubleQuoted, "one two@"},
		{"literal", "x: |\n  a\n  b @\n", StyleLiteral, "a\nb @\n"},
		{"literal strip", "x: |-\n  a\n  @\n", StyleLiteral, "a\n@"},
		{"literal with a blank line", "x: |\n  a\n\n  @\n", StyleLiteral, "a\n\n@\n"},
		{"literal more indented line", "x: |\n  a\n    @\n", StyleLiteral, "a\n  @\n"},
		{"literal with indentation indicator", "x: |2\n    more @\n", StyleLiteral, "  more @\n"},
		{"literal with a header comment", "x: | # note @\n  b\n", StyleLiteral, "b\n"},
		{"literal with CRLF", "x: |\r\n  a\r\n  b @\r\n", StyleLiteral, "a\nb @\n"},
		{"literal nested", "a:\n  b:\n    x: |\n      c\n      @\n", StyleLiteral, "c\n@\n"},
		{"folded", "x: >\n  folded\n  text @\n", StyleFolded, "folded text @\n"},
		{"folded with a blank line", "x: >-\n  a\n\n  b @\n", StyleFolded, "a\nb @"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := firstScalarNamedX(t, tc.src)
			assert.Equal(t, tc.value, s.Value)
			assert.Equal(t, tc.style, s.Style)
			if !strings.Contains(tc.value, "@") {
				return
			}
			vl, vc := markerPos(t, s.Value)
			markerInFile := tc.src[strings.LastIndex(tc.src, "@"):]
			fl, fc := markerPos(t, tc.src[:len(tc.src)-len(markerInFile)]+"@")
			got := s.PosAt(vl, vc)
			assert.Equal(t, diag.Pos{File: "f.yaml", Line: fl, Col: fc}, got, "PosAt(%d, %d) of %q", vl, vc, s.Value)
		})
	}
}

// firstScalarNamedX decodes src and returns the value of the first key x, searching nested
// mappings.
func firstScalarNamedX(t *testing.T, src string) String {
	t.Helper()
	d := newDecoder("f.yaml", []byte(src))
	body := d.Document([]byte(src))
	require.Empty(t, d.Diags)
	for n := body; n != nil; {
		entries, ok := d.Map(n, "test")
		require.True(t, ok)
		n = nil
		for _, e := range entries {
			if e.Key.Value == "x" {
				s, ok := d.Str(e.Value, "x")
				require.True(t, ok, "%v", d.Diags)
				return s
			}
			n = e.Value
		}
	}
	t.Fatalf("no key x in %q", src)
	return String{}
}

func TestPosAtEdges(t *testing.T) {
	s := firstScalarNamedX(t, "x: |\n  ab\n  cd\n")
	tests := []struct {
		name      string
		line, col int
		want      diag.Pos
	}{
		{"first character", 1, 1, diag.Pos{File: "f.yaml", Line: 2, Col: 3}},
		{"end of first line is its line break", 1, 3, diag.Pos{File: "f.yaml", Line: 2, Col: 5}},
		{"column past the line clamps to its end", 1, 40, diag.Pos{File: "f.yaml", Line: 2, Col: 5}},
		{"second line", 2, 2, diag.Pos{File: "f.yaml", Line: 3, Col: 4}},
		{"line past the value clamps to the end", 9, 1, diag.Pos{File: "f.yaml", Line: 3, Col: 5}},
		{"zero and negative clamp to the start", 0, -3, diag.Pos{File: "f.yaml", Line: 2, Col: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, s.PosAt(tc.line, tc.col))
		})
	}
	assert.Equal(t, diag.Pos{}, String{}.PosAt(1, 1), "the zero String has no position")
}

// The YAML scanner places some multi-line plain scalars that end the file without a line
// break on their last line (here at 2:4); the decoder finds the real start.
func TestPosAtScalarEndingTheFile(t *testing.T) {
	s := firstScalarNamedX(t, "x: 0\n  -@")
	assert.Equal(t, "0 -@", s.Value)
	assert.Equal(t, diag.Pos{File: "f.yaml", Line: 1, Col: 4}, s.Pos)
	assert.Equal(t, diag.Pos{File: "f.yaml", Line: 2, Col: 4}, s.PosAt(1, 4))
}
