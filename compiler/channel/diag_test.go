package channel

import (
	"regexp/syntax"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

func TestTaxonomyErrorIsADiagnostic(t *testing.T) {
	_, err := ParseTaxonomy("t.yaml", []byte("sources:\n  - {name: a}\nvalues:\n  v:\n    pattern: '(['\n"))
	var te *TaxonomyError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, diag.Pos{File: "t.yaml", Line: 5, Col: 5}, te.Pos)
	assert.Equal(t, diag.CodeBadTaxonomy, te.Code)
	assert.Equal(t, diag.SeverityError, te.Severity)
	assert.Equal(t, te.Pos.String()+": "+te.Msg, err.Error(), "printed without the severity, as before")
	var reErr *syntax.Error
	assert.ErrorAs(t, err, &reErr, "the regexp error is wrapped, not flattened")
}
