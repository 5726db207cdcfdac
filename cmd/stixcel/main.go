// Command stixcel compiles MITRE ATT&CK analytics into CEL detection plans and runs them over
// normalized security events.
//
// Results go to stdout, diagnostics and progress to stderr. Exit codes: 0 success, 1 findings
// (failed tests, lint errors), 2 usage or input errors.
package main

import (
	"io"
	"os"
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Main runs the CLI with the given arguments and streams and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cli := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	return cli.execute(args)
}
