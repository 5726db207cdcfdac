package pack

import "github.com/stixcel/stixcel/internal/yamlpos"

// String is a YAML scalar read as text, with where it was written: Value, Pos (the scalar's
// token) and Style, and PosAt to place any character of Value in the file (see
// yamlpos.String; packs, source profiles and the taxonomy share one decoder).
type String = yamlpos.String

// Style is how a scalar was written in YAML.
type Style = yamlpos.Style

// The styles of a String.
const (
	StylePlain        = yamlpos.StylePlain
	StyleSingleQuoted = yamlpos.StyleSingleQuoted
	StyleDoubleQuoted = yamlpos.StyleDoubleQuoted
	StyleLiteral      = yamlpos.StyleLiteral
	StyleFolded       = yamlpos.StyleFolded
)
