package yamlpos

import (
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
	"github.com/stixcel/stixcel/diag"
)

// Style is how a scalar was written in YAML. It decides how positions inside the scalar's
// value map back to the file.
type Style int

const (
	// StylePlain is an unquoted scalar (also numbers and booleans read as text).
	StylePlain Style = iota
	// StyleSingleQuoted is a 'single-quoted' scalar ('' stands for one quote).
	StyleSingleQuoted
	// StyleDoubleQuoted is a "double-quoted" scalar with backslash escapes.
	StyleDoubleQuoted
	// StyleLiteral is a | block scalar: lines kept as written.
	StyleLiteral
	// StyleFolded is a > block scalar: lines folded into spaces.
	StyleFolded
)

var styleNames = [...]string{"plain", "single-quoted", "double-quoted", "literal", "folded"}

// String names the style as YAML does.
func (s Style) String() string {
	if s < 0 || int(s) >= len(styleNames) {
		return "unknown"
	}
	return styleNames[s]
}

// String is a YAML scalar read as text, with where it was written.
//
// Pos is the scalar's token: its first character for a plain scalar, the opening quote for a
// quoted one, the | or > indicator for a block scalar. A String read with Text.Scalar also
// remembers the file text, so PosAt can place any character of Value. The zero String has an
// empty Value and an unknown Pos.
type String struct {
	Value string
	Pos   diag.Pos
	Style Style

	src   *Text // the file the scalar was read from; nil for a String built by hand
	start int   // rune index in src where the scalar's content begins
}

// PosAt maps a 1-based line and column inside Value (columns count Unicode code points, as
// cel-go's do: pass loc.Line(), loc.Column()+1 of a cel-go error) to the absolute position in
// the YAML file. It is exact for plain, quoted (escapes and doubled quotes included) and block scalars,
// whose content starts on the line after the indicator at the block's indentation; a
// whitespace character produced by line folding maps to the line break it came from. A
// column just past the end of a line maps just past its last character; out-of-range lines
// and columns are clamped. Without file text (a hand-built String) it assumes Value is
// written as is, starting at Pos.
func (s String) PosAt(line, col int) diag.Pos {
	value := []rune(s.Value)
	off := runeOffset(value, line, col)
	if s.src == nil {
		return s.naivePos(line, col)
	}
	m, ok := alignScalar(value, s.src.runes, s.start, s.Style)
	if !ok {
		return s.naivePos(line, col)
	}
	switch {
	case len(m) == 0:
		return s.Pos
	case off < len(m):
		return s.src.pos(s.Pos.File, m[off])
	case value[len(value)-1] == '\n':
		// The end of a value ending in a line break is that line break, the end of the text.
		return s.src.pos(s.Pos.File, m[len(m)-1])
	default:
		p := s.src.pos(s.Pos.File, m[len(m)-1])
		p.Col += off - len(m) + 1
		return p
	}
}

// naivePos places line:col as if Value were written verbatim from Pos.
func (s String) naivePos(line, col int) diag.Pos {
	p := s.Pos
	if p.Line == 0 {
		return p
	}
	line, col = max(line, 1), max(col, 1)
	switch s.Style {
	case StyleLiteral, StyleFolded:
		return diag.Pos{File: p.File, Line: p.Line + line, Col: col}
	case StyleSingleQuoted, StyleDoubleQuoted:
		if line == 1 {
			return diag.Pos{File: p.File, Line: p.Line, Col: p.Col + col}
		}
	default:
		if line == 1 {
			return diag.Pos{File: p.File, Line: p.Line, Col: p.Col + col - 1}
		}
	}
	return diag.Pos{File: p.File, Line: p.Line + line - 1, Col: col}
}

// runeOffset converts a 1-based line:col in value to a rune index, clamped to the value.
func runeOffset(value []rune, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		nl := indexRune(value[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	end := indexRune(value[off:], '\n')
	if end < 0 {
		end = len(value) - off
	}
	return off + min(max(col-1, 0), end)
}

func indexRune(rs []rune, r rune) int {
	for i, x := range rs {
		if x == r {
			return i
		}
	}
	return -1
}

// alignScalar walks the decoded value and the file text side by side from the content start
// and returns, for each rune of the value, the index of the file rune it came from. It
// reports false when the two cannot be matched (the caller then falls back to a naive
// mapping), which only happens if the scanner decoded a scalar in a way not modelled here.
func alignScalar(value, src []rune, i int, style Style) ([]int, bool) {
	m := make([]int, 0, len(value))
	for _, r := range value {
		skipped := -1
		for matched := false; !matched; {
			if i >= len(src) {
				return nil, false
			}
			s := src[i]
			switch {
			case isSpace(r) && skipped >= 0 && !isSpace(s):
				// r was produced by folding the line break(s) just skipped (checked before
				// quotes and escapes: a folded line may end right before the closing quote).
				m, matched = append(m, skipped), true
			case style == StyleDoubleQuoted && s == '\\':
				n, lineBreak := escapeLen(src, i)
				if lineBreak {
					i += n
					continue
				}
				m, i, matched = append(m, i), i+n, true
			case style == StyleDoubleQuoted && s == '"':
				return nil, false
			case style == StyleSingleQuoted && s == '\'':
				if r != '\'' || i+1 >= len(src) || src[i+1] != '\'' {
					return nil, false
				}
				m, i, matched = append(m, i), i+2, true
			case s == r:
				m, i, matched = append(m, i), i+1, true
			case isSpace(s):
				if skipped < 0 {
					skipped = i
				}
				i++
			default:
				return nil, false
			}
		}
	}
	return m, true
}

// escapeLen returns the length of the double-quoted escape at src[i] (a backslash) and
// whether it is an escaped line break, which produces nothing.
func escapeLen(src []rune, i int) (int, bool) {
	if i+1 >= len(src) {
		return 1, false
	}
	switch src[i+1] {
	case 'x':
		return 4, false
	case 'u':
		return 6, false
	case 'U':
		return 10, false
	case '\r':
		if i+2 < len(src) && src[i+2] == '\n' {
			return 3, true
		}
		return 2, true
	case '\n':
		return 2, true
	}
	return 2, false
}

// maxTabs bounds how far past its reported position locate looks for a scalar's start.
const maxTabs = 16

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r'
}

// Text is a YAML file's text as runes with the start of every line: what places the
// characters of the scalars read from it (Scalar, String.PosAt).
type Text struct {
	runes     []rune
	lineStart []int // rune index where each line begins; lineStart[0] == 0
}

// NewText indexes data. Line breaks are \n, \r\n or a lone \r, as in the YAML scanner;
// columns count runes, as the scanner's do.
func NewText(data []byte) *Text {
	rs := []rune(string(data))
	starts := []int{0}
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\r':
			if i+1 < len(rs) && rs[i+1] == '\n' {
				i++
			}
			starts = append(starts, i+1)
		case '\n':
			starts = append(starts, i+1)
		}
	}
	return &Text{runes: rs, lineStart: starts}
}

// index returns the rune index of the 1-based line:col, clamped to the text.
func (s *Text) index(line, col int) int {
	if line < 1 {
		return 0
	}
	if line > len(s.lineStart) {
		return len(s.runes)
	}
	return min(s.lineStart[line-1]+max(col-1, 0), len(s.runes))
}

// nextLine returns the rune index where the line after the 1-based line begins.
func (s *Text) nextLine(line int) int {
	if line < 1 || line >= len(s.lineStart) {
		return len(s.runes)
	}
	return s.lineStart[line]
}

// pos returns the 1-based position of rune index i.
func (s *Text) pos(file string, i int) diag.Pos {
	line := 0
	for lo, hi := 0, len(s.lineStart)-1; lo <= hi; {
		mid := (lo + hi) / 2
		if s.lineStart[mid] <= i {
			line, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	return diag.Pos{File: file, Line: line + 1, Col: i - s.lineStart[line] + 1}
}

// locate returns where a scalar's content starts: start when value aligns there, else the
// nearest later index on the same line where it does (the YAML scanner counts tabs before a
// token wrongly: `key:<TAB>"value"`), else the nearest earlier index where it aligns (the scanner misplaces a multi-line plain
// scalar that ends the file without a line break), looking back a bounded distance.
func (s *Text) locate(value []rune, start int, style Style) (int, bool) {
	if _, ok := alignScalar(value, s.runes, start, style); ok || len(value) == 0 {
		return start, ok
	}
	for i := start + 1; i < len(s.runes) && i <= start+maxTabs && s.runes[i-1] != '\n'; i++ {
		if !s.couldStart(i, value[0], style) {
			continue
		}
		if _, ok := alignScalar(value, s.runes, i, style); ok {
			return i, true
		}
	}
	lo := max(0, start-4*len(value)-64)
	for i := min(start, len(s.runes)) - 1; i >= lo; i-- {
		if !s.couldStart(i, value[0], style) {
			continue
		}
		if _, ok := alignScalar(value, s.runes, i, style); ok {
			return i, true
		}
	}
	return start, false
}

// couldStart reports whether a scalar's content starting with first can begin at index i.
func (s *Text) couldStart(i int, first rune, style Style) bool {
	switch style {
	case StyleSingleQuoted:
		return i > 0 && s.runes[i-1] == '\''
	case StyleDoubleQuoted:
		return i > 0 && s.runes[i-1] == '"'
	case StylePlain:
		return s.runes[i] == first
	}
	return false
}

// LineText returns the text of the 1-based line without its line break.
func (s *Text) LineText(line int) string {
	if line < 1 || line > len(s.lineStart) {
		return ""
	}
	end := s.nextLine(line)
	return strings.TrimRight(string(s.runes[s.lineStart[line-1]:end]), "\r\n")
}

// Scalar reads any scalar node of the text, in file, as a String: strings as decoded,
// numbers and booleans as written. ok is false for a node that is not a scalar.
func (t *Text) Scalar(file string, n ast.Node) (s String, ok bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return t.newString(file, v.Value, v.Token), true
	case *ast.LiteralNode:
		if v.Value == nil {
			return String{}, false
		}
		s := t.newString(file, v.Value.Value, v.Start)
		if s.Pos.Line > 0 {
			s.start = t.nextLine(s.Pos.Line)
		}
		return s, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode, *ast.NullNode:
		tk := n.GetToken()
		if tk == nil {
			return String{}, false
		}
		return t.newString(file, tk.Value, tk), true
	}
	return String{}, false
}

// newString builds a String for a scalar token, with its style and content start.
func (t *Text) newString(file, value string, tk *token.Token) String {
	s := String{Value: value, src: t}
	if tk == nil || tk.Position == nil || tk.Position.Line < 1 {
		s.Pos = diag.Pos{File: file, Line: 1, Col: 1}
		return s
	}
	s.Pos = diag.Pos{File: file, Line: tk.Position.Line, Col: max(tk.Position.Column, 1)}
	s.start = t.index(s.Pos.Line, s.Pos.Col)
	switch tk.Type {
	case token.SingleQuoteType:
		s.Style, s.start = StyleSingleQuoted, s.start+1
	case token.DoubleQuoteType:
		s.Style, s.start = StyleDoubleQuoted, s.start+1
	case token.LiteralType:
		s.Style = StyleLiteral
	case token.FoldedType:
		s.Style = StyleFolded
	}
	if s.Style == StyleLiteral || s.Style == StyleFolded {
		return s // the content start is set by the caller: the line after the indicator
	}
	if start, ok := t.locate([]rune(value), s.start, s.Style); ok && start != s.start {
		s.start = start
		s.Pos = t.pos(file, start)
		if s.Style != StylePlain {
			s.Pos.Col-- // the opening quote
		}
	}
	return s
}
