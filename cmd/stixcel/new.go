package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/compiler/drift"
	"github.com/stixcel/stixcel/internal/outfile"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/scaffold"
)

// newFlags are the flags of stixcel new.
type newFlags struct {
	bundles []string
	update  bool
	outDir  string
}

func (c *cli) newCommand() *cobra.Command {
	var f newFlags
	cmd := &cobra.Command{
		Use:   "new ANALYTIC_ID [--bundle B ...] [-o DIR] | new --update BINDING.yaml ... [--bundle B ...]",
		Short: "Write a binding skeleton for an analytic, or refresh what a binding was written for",
		Long: `new ANALYTIC_ID writes a binding skeleton for the analytic to fill in.

new --update BINDING.yaml rewrites the written_for block of existing bindings for the analytic
as the loaded bundles have it now: its version, the fingerprint of its channels and mutable
elements, and each channel's log source and text. Run it after reviewing a binding that lint
reports as drifted; the rest of the file is kept byte for byte.

With no --bundle, the embedded seed bundle is loaded.

Examples:
  stixcel new AN1030 --bundle enterprise-attack-18.1.json -o mypack/enterprise
  stixcel new --update analytics/enterprise/AN1030.yaml --bundle enterprise-attack-18.1.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return inputErr(fmt.Errorf("new needs an analytic id, or binding files with --update; e.g. stixcel new AN1030 --bundle enterprise-attack.json"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.update {
				return c.updateWrittenFor(args, f.bundles)
			}
			return c.newBinding(args, &f)
		},
	}
	fl := cmd.Flags()
	addBundleFlag(cmd, &f.bundles)
	fl.BoolVar(&f.update, "update", false, "refresh the written_for block of the given binding files")
	fl.StringVarP(&f.outDir, "output", "o", ".", "write the skeleton under `DIR` (DIR/ANxxxx.yaml and DIR/tests/)")
	return cmd
}

// loadIndex loads the bundles (the embedded seed when none), revoked analytics included so
// that they can be named.
func (c *cli) loadIndex(bundles []string) (*attack.Index, error) {
	l, err := c.load(stixcel.Inputs{Bundles: bundles, NoBuiltin: true, IncludeRevoked: true})
	if err != nil {
		return nil, err
	}
	return l.Index, nil
}

// updateWrittenFor rewrites the written_for block of each binding file.
func (c *cli) updateWrittenFor(files, bundles []string) error {
	ix, err := c.loadIndex(bundles)
	if err != nil {
		return err
	}
	for _, file := range files {
		if err := c.updateOne(ix, file); err != nil {
			return inputErr(err)
		}
	}
	return nil
}

func (c *cli) updateOne(ix *attack.Index, file string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	b, diags := pack.ParseBinding(file, src)
	if b == nil || diags.HasErrors() {
		c.printDiagnostics(diags)
		return fmt.Errorf("%s: fix the binding's errors first", file)
	}
	a := ix.Analytic(b.Analytic.Value)
	if a == nil {
		return fmt.Errorf("%s: analytic %s is not in the loaded bundles (give --bundle)", file, b.Analytic.Value)
	}
	out, err := scaffold.UpdateWrittenFor(src, a)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err := outfile.WriteFile(file, out); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "%s: written_for is now version %s, fingerprint %s, %d channels\n", file, a.Version, drift.Fingerprint(a), len(a.LogSources))
	return nil
}

// newBinding writes the skeleton of a binding for the analytic: DIR/ANxxxx.yaml. It never
// overwrites a file: an existing binding is refreshed with --update instead.
func (c *cli) newBinding(args []string, f *newFlags) error {
	if len(args) != 1 {
		return inputErr(fmt.Errorf("new writes one binding at a time (got %d analytic ids); e.g. stixcel new AN1030 --bundle enterprise-attack.json", len(args)))
	}
	ix, err := c.loadIndex(f.bundles)
	if err != nil {
		return err
	}
	a := ix.Analytic(args[0])
	if a == nil {
		return inputErr(fmt.Errorf("analytic %s is not in the loaded bundles (give --bundle; stixcel explain T… or search lists analytic ids)", args[0]))
	}
	if len(a.LogSources) == 0 {
		return inputErr(fmt.Errorf("analytic %s has no log source references: there is no channel to bind", a.ID))
	}
	name, err := scaffold.FileName(a.ID)
	if err != nil {
		return inputErr(err)
	}
	set, _ := compiler.Compile(attack.NewIndex([]*attack.Analytic{a}), compiler.Options{})
	path := filepath.Join(f.outDir, name)
	if _, err := os.Lstat(path); err == nil {
		return inputErr(fmt.Errorf("%s exists: edit it, or refresh its written_for with stixcel new --update %s", path, path))
	}
	if err := os.MkdirAll(f.outDir, 0o755); err != nil {
		return inputErr(err)
	}
	if err := outfile.WriteFile(path, []byte(scaffold.Skeleton(a, set.Plans[0]))); err != nil {
		return inputErr(err)
	}
	fmt.Fprintf(c.stderr, "wrote %s: %d channels bound to false, %d parameters, 2 test cases marked todo; fill it in, then stixcel lint and test\n",
		path, len(a.LogSources), len(set.Plans[0].Params))
	return nil
}
