package stixcel_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/diag"
)

// TestWriteSummary: every command says on stderr what the bundles warned of, one line each,
// then what was loaded.
func TestWriteSummary(t *testing.T) {
	l, err := stixcel.Inputs{Bundles: []string{"-"}, Stdin: bytes.NewReader(stixcel.SeedBundle()), NoBuiltin: true}.Load()
	require.NoError(t, err)
	require.NotEmpty(t, l.Warnings)
	var out bytes.Buffer
	require.NoError(t, l.WriteSummary(&out))
	lines := strings.SplitAfter(out.String(), "\n")
	require.Len(t, lines, len(l.Warnings)+2, "a line per warning, the loaded line, and nothing after its newline")
	assert.Equal(t, "warning: "+l.Warnings[0].String()+"\n", lines[0])
	assert.Equal(t, "loaded "+l.Index.Stats.String()+"\n", lines[len(lines)-2])
	assert.Regexp(t, `^loaded \d+ `, lines[len(lines)-2])

	l, err = stixcel.Inputs{}.Load()
	require.NoError(t, err)
	out.Reset()
	require.NoError(t, l.WriteSummary(&out))
	assert.Equal(t, "loaded "+l.Index.Stats.String()+"\n", out.String(), "the seed's own warnings are not the user's")
}

// TestErrorsIn: compiling inputs fails on errors, counted, and never on warnings.
func TestErrorsIn(t *testing.T) {
	var warnings, errs diag.Diagnostics
	warnings.Warnf(diag.Pos{File: "a.yaml", Line: 1}, diag.CodeIO, "a warning")
	errs.Errorf(diag.Pos{File: "a.yaml", Line: 1}, diag.CodeIO, "one")
	errs.Warnf(diag.Pos{File: "a.yaml", Line: 2}, diag.CodeIO, "a warning")
	errs.Errorf(diag.Pos{File: "b.yaml", Line: 3}, diag.CodeIO, "two")

	assert.NoError(t, stixcel.ErrorsIn(nil))
	assert.NoError(t, stixcel.ErrorsIn(warnings))
	err := stixcel.ErrorsIn(errs)
	var ie *stixcel.InputsError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, 2, ie.Errors)
	assert.EqualError(t, err, "2 error(s) in the inputs")
}
