package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTestNoBuiltin checks that --no-builtin leaves out the built-in pack in test as it does
// in compile and run: with no pack directory nothing is tested (a run that checks nothing
// exits 1), and pack directories are tested as without the flag.
func TestTestNoBuiltin(t *testing.T) {
	builtin := runCLI(t, nil, "test", "-v", "--allow-skip")
	assert.Equal(t, exitOK, builtin.code, builtin.stderr)
	assert.Contains(t, builtin.stdout, "analytics/mobile/AN1828.yaml", "without the flag the built-in pack is tested")

	none := runCLI(t, nil, "test", "--no-builtin", "-v")
	assert.Equal(t, exitFindings, none.code, none.stderr)
	assert.Equal(t, "no test cases found\n", none.stdout)
	assert.NotContains(t, none.stderr, "analytics/")

	dir := runCLI(t, nil, "test", badPack)
	dirNoBuiltin := runCLI(t, nil, "test", "--no-builtin", badPack)
	assert.Equal(t, dir, dirNoBuiltin, "a pack directory already replaces the built-in pack")
	assert.Equal(t, exitFindings, dirNoBuiltin.code)
}
