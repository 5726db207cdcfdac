package diag

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCodes checks that every code in codes.go is a distinct stixcel_ name with a comment.
func TestCodes(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, parser.ParseComments)
	require.NoError(t, err)
	seen := map[string]string{}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			value, err := strconv.Unquote(vs.Values[0].(*ast.BasicLit).Value)
			require.NoError(t, err)
			name := vs.Names[0].Name
			assert.True(t, strings.HasPrefix(value, "stixcel_"), name)
			assert.NotNil(t, vs.Comment, "%s has no comment", name)
			if prev, dup := seen[value]; dup {
				t.Errorf("%s and %s are both %q", prev, name, value)
			}
			seen[value] = name
		}
	}
	assert.Equal(t, "CodeTypeError", seen[CodeTypeError])
}

func TestWriteText(t *testing.T) {
	var ds Diagnostics
	ds.Errorf(Pos{File: "a.yaml", Line: 2, Col: 3}, CodeTypeError, "bad %s", "type")
	ds.Warnf(Pos{File: "b.yaml"}, CodeIO, "no position")
	read := func(name string) ([]byte, error) {
		if name == "a.yaml" {
			return []byte("x: 1\n\ty: 2\n"), nil
		}
		return nil, errors.New("no such file")
	}
	var out bytes.Buffer
	require.NoError(t, WriteText(&out, ds, read))
	assert.Equal(t, "a.yaml:2:3: error: bad type\n    \ty: 2\n    \t ^\nb.yaml: warning: no position\n", out.String())
	assert.True(t, ds.HasErrors())
	assert.Equal(t, ds, ds.Err())
}

// TestErrorCount: "N error(s)" lines count errors only, never warnings.
func TestErrorCount(t *testing.T) {
	tests := []struct {
		name     string
		severity []Severity
		want     int
	}{
		{"none", nil, 0},
		{"warnings only", []Severity{SeverityWarning, SeverityWarning}, 0},
		{"errors among warnings", []Severity{SeverityError, SeverityWarning, SeverityError}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ds Diagnostics
			for _, s := range tc.severity {
				ds = append(ds, Diagnostic{Severity: s, Msg: "x"})
			}
			assert.Equal(t, tc.want, ds.ErrorCount())
		})
	}
}

// TestWriteTextEscapesControls: control sequences and bidi controls in a message or a source
// line (a channel text of a bundle, a pack's YAML) reach the terminal as visible escapes,
// and the caret stays under its column (before, "\x1b]0;pwned\a" set the window title and
// "\x1b[2J" cleared the screen of whoever ran lint).
func TestWriteTextEscapesControls(t *testing.T) {
	var ds Diagnostics
	ds.Errorf(Pos{File: "a.yaml", Line: 1, Col: 16}, CodeTypeError, "channel `\x1b]0;pwned\a` reads \u202Eevil")
	read := func(string) ([]byte, error) { return []byte("c1: \"\x1b[2J\u202E\" && xx\n"), nil }
	var out bytes.Buffer
	require.NoError(t, WriteText(&out, ds, read))
	assert.Equal(t, "a.yaml:1:16: error: channel `\\x1b]0;pwned\\x07` reads \\u202eevil\n"+
		"    c1: \"\\x1b[2J\\u202e\" && xx\n"+
		"    "+strings.Repeat(" ", len(`c1: "\x1b[2J\u202e" && `))+"^\n", out.String())
	assert.NotContains(t, out.String(), "\x1b")
}
