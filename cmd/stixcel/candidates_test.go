package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunWithoutCandidateIndex: the hidden --no-candidate-index evaluates every channel an
// event reaches, for comparisons; alerts and the summary are those of the default run, and
// run --help does not list it.
func TestRunWithoutCandidateIndex(t *testing.T) {
	with := runCLI(t, stringsReader(""), "run", "testdata/events/demo.jsonl")
	without := runCLI(t, stringsReader(""), "run", "testdata/events/demo.jsonl", "--no-candidate-index")
	require.Equal(t, exitOK, without.code, without.stderr)
	assert.NotEmpty(t, with.stdout)
	assert.Equal(t, with.stdout, without.stdout)
	assert.Equal(t, with.stderr, without.stderr)
	help := runCLI(t, stringsReader(""), "run", "--help")
	assert.NotContains(t, help.stdout, "candidate")
}
