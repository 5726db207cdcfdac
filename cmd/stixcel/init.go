package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/project"
)

func (c *cli) initCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented " + project.Name + " in the working directory, listing the packs and bundles found there",
		Long: `Write ` + project.Name + `, the project file, in the working directory: the inputs that test,
lint, compile, run and the other commands then read with no flags. The packs are the
directories below that hold bindings, the bundles the ATT&CK STIX JSON files found there; the
comments say where to get ATT&CK bundles and what each key holds. An existing file is kept
unless --force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, found, err := project.Init(c.dir, attack.LooksLikeBundle, force)
			if errors.Is(err, fs.ErrExist) {
				return inputErr(fmt.Errorf("%s already exists; --force replaces it", path))
			}
			if err != nil {
				return inputErr(err)
			}
			fmt.Fprintf(c.stderr, "wrote %s: %d pack(s), %d bundle(s)\n", path, len(found.Packs), len(found.Bundles))
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing "+project.Name)
	return cmd
}
