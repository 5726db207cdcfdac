package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecodeLines: the decoding baseline decodes every non-empty line, and a line that is
// not JSON stops it, naming file and line.
func TestDecodeLines(t *testing.T) {
	n, err := decodeLines(strings.NewReader("{\"a\":1}\n\n  \n{\"b\":[1,2]}\n"), "x.jsonl")
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	_, err = decodeLines(strings.NewReader("{}\n{bad\n"), "x.jsonl")
	assert.ErrorContains(t, err, "x.jsonl:2:")
}
