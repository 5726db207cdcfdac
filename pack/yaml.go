package pack

import (
	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/internal/yamlpos"
)

// decoder turns goccy AST nodes into bindings and profiles through the shared positioned
// decoder of yamlpos, collecting its diagnostics.
type decoder struct{ *yamlpos.Decoder }

func newDecoder(file string, data []byte) *decoder {
	return &decoder{yamlpos.NewDecoder(file, data)}
}

// entry is one key: value pair of a mapping; field one key a mapping may hold.
type (
	entry = yamlpos.Entry
	field = yamlpos.Field
)

// isNull reports whether n is absent or YAML null.
func isNull(n ast.Node) bool { return yamlpos.IsNull(n) }

// kind names a node's shape for messages.
func kind(n ast.Node) string { return yamlpos.Kind(n) }
