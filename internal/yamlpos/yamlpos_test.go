package yamlpos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

func TestNodePosAndKind(t *testing.T) {
	tests := map[string]struct {
		src      string
		wantPos  diag.Pos
		wantKind string
	}{
		"block mapping starts at its first key": {src: "\n  a: 1\n  b: 2\n", wantPos: diag.Pos{File: "f", Line: 2, Col: 3}, wantKind: "a mapping"},
		"list":                                  {src: "- 1\n", wantPos: diag.Pos{File: "f", Line: 1, Col: 1}, wantKind: "a list"},
		"number":                                {src: "  42\n", wantPos: diag.Pos{File: "f", Line: 1, Col: 3}, wantKind: "a number"},
		"quoted string":                         {src: `"x"`, wantPos: diag.Pos{File: "f", Line: 1, Col: 1}, wantKind: "a string"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := Parse([]byte(tt.src))
			require.NoError(t, err)
			bodies := Bodies(f)
			require.Len(t, bodies, 1)
			assert.Equal(t, tt.wantPos, NodePos("f", bodies[0]))
			assert.Equal(t, tt.wantKind, Kind(bodies[0]))
		})
	}
}

func TestNodePosOfNothing(t *testing.T) {
	assert.Equal(t, diag.Pos{File: "f", Line: 1, Col: 1}, NodePos("f", nil))
	assert.Equal(t, "null", Kind(nil))
	assert.True(t, IsNull(nil))
}

func TestMappingValues(t *testing.T) {
	f, err := Parse([]byte("a: 1\nb: 2\n"))
	require.NoError(t, err)
	values, ok := MappingValues(Bodies(f)[0])
	require.True(t, ok)
	require.Len(t, values, 2)
	assert.Equal(t, "b", values[1].Key.String())

	f, err = Parse([]byte("- a\n"))
	require.NoError(t, err)
	_, ok = MappingValues(Bodies(f)[0])
	assert.False(t, ok, "a list is not a mapping")
}

func TestSyntaxError(t *testing.T) {
	_, err := Parse([]byte("a: 1\na: 2\n"))
	require.Error(t, err)
	pos, msg := SyntaxError("f", err)
	assert.Equal(t, diag.Pos{File: "f", Line: 2, Col: 1}, pos)
	assert.Contains(t, msg, `mapping key "a" already defined at [1:1]`)
	assert.NotContains(t, msg, "\n", "the source excerpt is left out")
}

func TestGuard(t *testing.T) {
	err := func() (err error) {
		defer guard(&err)
		panic("boom")
	}()
	var perr *PanicError
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, "YAML parser failed: boom", err.Error())
	pos, msg := SyntaxError("f", err)
	assert.Equal(t, diag.Pos{File: "f", Line: 1, Col: 1}, pos, "a panic names no token")
	assert.Equal(t, err.Error(), msg)
}

func TestDocument(t *testing.T) {
	body, extra, err := Document([]byte("# only a comment\n"))
	require.NoError(t, err)
	assert.Nil(t, body)
	assert.Empty(t, extra)

	body, extra, err = Document([]byte("a: 1\n---\nb: 2\n---\nc: 3\n"))
	require.NoError(t, err)
	assert.Equal(t, diag.Pos{File: "f", Line: 1, Col: 1}, NodePos("f", body))
	require.Len(t, extra, 2)
	assert.Equal(t, diag.Pos{File: "f", Line: 3, Col: 1}, NodePos("f", extra[0]))
}

func TestUnmarshal(t *testing.T) {
	var v struct {
		A int `yaml:"a"`
	}
	require.NoError(t, Unmarshal([]byte("a: 2\n"), &v))
	assert.Equal(t, 2, v.A)
	tk, msg := ErrorToken(Unmarshal([]byte("a: [\n"), &v))
	require.NotNil(t, tk)
	assert.NotContains(t, msg, "\n", "the message without goccy's source excerpt")
}
