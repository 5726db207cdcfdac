package attack

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

func TestLoadErrorIsADiagnostic(t *testing.T) {
	_, _, err := Load([]Source{{"x.json", []byte("[\n  {\"type\": 1}\n]\n")}}, Options{})
	var loadErr *LoadError
	require.ErrorAs(t, err, &loadErr)
	assert.Equal(t, diag.Pos{File: "x.json", Line: 2, Col: 3}, loadErr.Pos, "the object at fault")
	assert.Equal(t, diag.CodeBadBundle, loadErr.Code)
	assert.Equal(t, diag.SeverityError, loadErr.Severity)
	assert.Equal(t, `x.json: object 0: "type" is a number, want a string`, err.Error())

	_, _, err = Load([]Source{{"y.json", []byte("{\n  \"type\": ]\n")}}, Options{})
	require.ErrorAs(t, err, &loadErr)
	assert.Equal(t, diag.Pos{File: "y.json", Line: 2, Col: 11}, loadErr.Pos, "the ] at fault (1-based column)")
	var syntax *json.SyntaxError
	assert.ErrorAs(t, err, &syntax, "the JSON error is wrapped, not flattened")
}

func TestWarningIsADiagnostic(t *testing.T) {
	_, warnings, err := Load([]Source{{"w.json", bundle(analytic(analyticID, "AN9001", "2026-01-01T00:00:00.000Z", "", ""))}}, Options{})
	require.NoError(t, err)
	require.Len(t, warnings, 1)
	w := warnings[0]
	assert.Equal(t, diag.Diagnostic{Pos: diag.Pos{File: "w.json"}, Code: diag.CodeBundleGap, Severity: diag.SeverityWarning,
		Msg: "analytic has no name"}, w.Diagnostic)
	assert.Equal(t, "w.json: "+analyticID+": analytic has no name", w.String())
	assert.Equal(t, w.String(), w.Error(), "printed with %s as before")
}
