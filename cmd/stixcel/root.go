package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/internal/termsafe"
	"github.com/stixcel/stixcel/project"
)

// Exit codes.
const (
	exitOK       = 0
	exitFindings = 1
	exitInput    = 2
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// inputErr marks err as a usage or input error (exit 2); nil stays nil.
func inputErr(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitInput, err: err}
}

// findings is returned when a command found problems it already reported (exit 1).
var errFindings = &exitError{code: exitFindings, err: errors.New("findings reported")}

// cli holds the streams of one invocation; commands never touch os.Std*.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// cache, when set, keeps loaded bundles and compiled plans across invocations in one
	// process (the tests share one, so the enterprise release is parsed and compiled once);
	// nil loads and compiles every time, as a user's single invocation does.
	cache *stixcel.Cache
	// dir is the working directory: where the project file is looked for and init writes
	// one; "" is the process's.
	dir string
	// config and noConfig are the root's --config and --no-config.
	config   string
	noConfig bool
	// project is the project file the command uses; nil when none.
	project *project.File
	// runHooks let tests see into the start of run (zero: none).
	runHooks runHooks
}

func (c *cli) execute(args []string) int {
	if c.dir == "" {
		c.dir, _ = os.Getwd()
	}
	root := c.rootCommand()
	root.SetArgs(args)
	root.SetIn(c.stdin)
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var xe *exitError
	if errors.As(err, &xe) {
		if xe != errFindings {
			fmt.Fprintln(c.stderr, "stixcel:", termsafe.Text(xe.err.Error()))
		}
		return xe.code
	}
	// cobra's own errors: unknown command or flag, wrong argument count.
	fmt.Fprintln(c.stderr, "stixcel:", termsafe.Text(err.Error()))
	return exitInput
}

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "stixcel",
		Short:         "Compile MITRE ATT&CK analytics into CEL detection plans and run them over events",
		SilenceUsage:  true,
		SilenceErrors: true,
		// A project file feeds every command that loads bundles or packs (inputs.go).
		PersistentPreRunE: c.useProject,
	}
	root.PersistentFlags().StringVar(&c.config, "config", "", "project `FILE` to use instead of the "+project.Name+" found in the working directory or its nearest parent")
	root.PersistentFlags().BoolVar(&c.noConfig, "no-config", false, "use no project file ("+project.Name+")")
	root.AddCommand(c.initCommand(), c.compileCommand(), c.explainCommand(), c.runCommand(), c.testCommand(), c.lintCommand(), c.serveCommand(), c.publishCommand(), c.alertsCommand(),
		c.diffCommand(), c.newCommand(), c.searchCommand(), c.coverageCommand(), c.versionCommand())
	return root
}
