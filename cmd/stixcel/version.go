package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/internal/buildinfo"
)

func (c *cli) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print stixcel's module version and the VCS commit it was built from",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return inputErr(fmt.Errorf("version takes no arguments, got %q", strings.Join(args, " ")))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(c.stdout, buildinfo.Text(buildinfo.Read()))
			return err
		},
	}
}

// stixcelVersion is this binary's module version, as SARIF output reports it.
func stixcelVersion() string { return buildinfo.Version(buildinfo.Read()) }
