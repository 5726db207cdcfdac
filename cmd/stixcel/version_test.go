package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVersionCommand(t *testing.T) {
	r := runCLI(t, nil, "version")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^stixcel \S+ \(.+; go1\.\d+.*\)\n$`, r.stdout)

	r = runCLI(t, nil, "version", "now")
	assert.Equal(t, exitInput, r.code)
	assert.Equal(t, "stixcel: version takes no arguments, got \"now\"\n", r.stderr)
}
