// Package yamlpos is stixcel's one positioned YAML decoder, shared by packs, source
// profiles and the log source taxonomy: it runs goccy/go-yaml behind one panic guard (goccy
// can panic on hostile input; the panic comes back as a *PanicError) and behind the limits
// of package bounded (size, depth, nodes, keys per mapping: goccy's time and memory blow up
// on deep or wide input; a breach comes back as a *bounded.LimitError before goccy runs),
// skips a leading UTF-8 byte order mark, and holds what the decoders share: node positions,
// shape names, mapping entries, syntax errors as positioned diagnostics, and Decoder, the one
// positioned reader of mappings (known keys, with a did-you-mean for a typo), lists and
// scalars that packs, parameter profiles, source profiles, the taxonomy and the project file
// decode through.
package yamlpos

import (
	"errors"
	"fmt"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/bounded"
)

// StartNode is the node whose token marks where n starts: the first key of a block mapping
// (whose own token is its first colon), the key of a mapping entry, n itself otherwise.
func StartNode(n ast.Node) ast.Node {
	switch v := n.(type) {
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 && v.Values[0] != nil && v.Values[0].Key != nil {
			return v.Values[0].Key
		}
	case *ast.MappingValueNode:
		if v.Key != nil {
			return v.Key
		}
	}
	return n
}

// TokenPos is where tk stands in file; 1:1 when it has no position.
func TokenPos(file string, tk *token.Token) diag.Pos {
	if tk == nil || tk.Position == nil || tk.Position.Line < 1 {
		return diag.Pos{File: file, Line: 1, Col: 1}
	}
	return diag.Pos{File: file, Line: tk.Position.Line, Col: max(tk.Position.Column, 1)}
}

// NodePos is where n starts in file (see StartNode); 1:1 when n is nil or has no position.
func NodePos(file string, n ast.Node) diag.Pos {
	n = StartNode(n)
	if n == nil {
		return diag.Pos{File: file, Line: 1, Col: 1}
	}
	return TokenPos(file, n.GetToken())
}

// Kind names a node's shape for messages: "null", "a mapping", "a list", "a string",
// "a number", "a boolean", or "a " and the node type.
func Kind(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	}
	return "a " + n.Type().String()
}

// IsNull reports whether n is absent or YAML null.
func IsNull(n ast.Node) bool {
	_, null := n.(*ast.NullNode)
	return n == nil || null
}

// MappingValues returns the key: value entries of a mapping node (a block or flow mapping,
// or a single entry) in file order, leaving out entries without a key. It reports false when
// n is not a mapping.
func MappingValues(n ast.Node) ([]*ast.MappingValueNode, bool) {
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	default:
		return nil, false
	}
	out := make([]*ast.MappingValueNode, 0, len(values))
	for _, mv := range values {
		if mv != nil && mv.Key != nil {
			out = append(out, mv)
		}
	}
	return out, true
}

// PanicError is a panic of goccy's parser or decoder, caught by the guard of Parse,
// Document and Unmarshal.
type PanicError struct {
	Value any // what the parser panicked with
}

// Error renders "YAML parser failed: " and the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("YAML parser failed: %v", e.Value) }

// guard turns a panic of goccy into a *PanicError in *err. It must be deferred directly.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = &PanicError{Value: r}
	}
}

// Parse runs the goccy parser on data without a leading byte order mark, after checking it
// against bounded.DefaultYAML (a breach is a *bounded.LimitError), turning a panic of the
// parser into a *PanicError.
func Parse(data []byte) (f *ast.File, err error) {
	data, err = checked(data)
	if err != nil {
		return nil, err
	}
	defer guard(&err)
	return parser.ParseBytes(data, 0)
}

// checked returns data without a leading byte order mark, or the limit it breaks.
func checked(data []byte) ([]byte, error) {
	data = bounded.TrimBOM(data)
	if err := bounded.CheckYAML(data, bounded.DefaultYAML); err != nil {
		return nil, err
	}
	return data, nil
}

// Document parses a file that should hold one YAML document. It returns the first
// document's body (nil when the file holds nothing but comments) and the bodies of any
// further documents, for the caller to report; err is the parser's error or *PanicError.
func Document(data []byte) (body ast.Node, extra []ast.Node, err error) {
	f, err := Parse(data)
	if err != nil {
		return nil, nil, err
	}
	bodies := Bodies(f)
	if len(bodies) == 0 {
		return nil, nil, nil
	}
	return bodies[0], bodies[1:], nil
}

// ExtraDocuments is the error for the further documents Document found in file: at the
// first of them, naming how many documents the file holds; none when extra is empty.
func ExtraDocuments(file string, extra []ast.Node) diag.Diagnostics {
	if len(extra) == 0 {
		return nil
	}
	return diag.Diagnostics{{Pos: NodePos(file, extra[0]), Code: diag.CodeYAMLSyntax, Severity: diag.SeverityError,
		Msg: fmt.Sprintf("the file holds %d YAML documents; want one", 1+len(extra))}}
}

// Unmarshal decodes data into v with goccy's decoder and opts, checked as Parse checks it,
// turning a panic of the parser or decoder into a *PanicError.
func Unmarshal(data []byte, v any, opts ...yaml.DecodeOption) (err error) {
	data, err = checked(data)
	if err != nil {
		return err
	}
	defer guard(&err)
	return yaml.UnmarshalWithOptions(data, v, opts...)
}

// Bodies returns the bodies of f's non-empty documents, in file order.
func Bodies(f *ast.File) []ast.Node {
	var bodies []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	return bodies
}

// SyntaxError returns where a goccy error points in file (1:1 when it names no token) and
// its message without the source excerpt goccy's Error adds.
func SyntaxError(file string, err error) (diag.Pos, string) {
	pos := diag.Pos{File: file, Line: 1, Col: 1}
	tk, msg := ErrorToken(err)
	if tk != nil && tk.Position != nil && tk.Position.Line > 0 {
		pos.Line, pos.Col = tk.Position.Line, max(tk.Position.Column, 1)
	}
	return pos, msg
}

// ErrorToken returns the token a goccy error points at (nil when it names none, or err is
// not goccy's) and the error's message without the source excerpt goccy's Error adds. For
// a *bounded.LimitError it is a token at the offending byte and the message with the offset.
func ErrorToken(err error) (*token.Token, string) {
	var lerr *bounded.LimitError
	if errors.As(err, &lerr) {
		line, col := max(lerr.Line, 1), max(lerr.Col, 1)
		tk := &token.Token{Position: &token.Position{Line: line, Column: col, Offset: int(lerr.Offset)}}
		return tk, fmt.Sprintf("%s at offset %d", lerr.Msg, lerr.Offset)
	}
	var yerr yaml.Error
	if !errors.As(err, &yerr) {
		return nil, err.Error()
	}
	return yerr.GetToken(), yerr.GetMessage()
}
