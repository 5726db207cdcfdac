package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/stixcel/stixcel"
)

// TestMain runs every CLI test from the repository root, where a user types the commands.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childArgsEnv); ok {
		// Re-executed by a test as the stixcel command itself (signal tests).
		os.Exit(Main(strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr))
	}
	if err := os.Chdir("../.."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// testCache is shared by every in-process CLI run of the tests: the enterprise release,
// which most tests load, is parsed and compiled once per test binary, not once per run.
var testCache = &stixcel.Cache{}

// childArgsEnv carries the arguments of a re-executed test binary acting as stixcel.
const childArgsEnv = "STIXCEL_TEST_CHILD_ARGS"

// result is what one CLI invocation produced.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the CLI in-process, as a user would from the repository root.
func runCLI(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	code := (&cli{stdin: stdin, stdout: &out, stderr: &errb, cache: testCache}).execute(args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// cliCase is one CLI invocation of a table test and what it must give: the exit code, and
// text contained in stdout and in stderr.
type cliCase struct {
	name   string
	args   []string
	code   int
	stdout string // contained in stdout
	stderr string // contained in stderr
}

// runCases runs each case as a subtest with no standard input.
func runCases(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			assert.Equal(t, tc.code, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stdout, tc.stdout)
			assert.Contains(t, r.stderr, tc.stderr)
		})
	}
}
