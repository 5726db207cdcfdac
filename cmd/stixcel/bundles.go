package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler/attack"
)

// bundleFlagUsage is the one help text of --bundle: every command takes bundles the same way
// and loads them by the same rule (stixcel.Inputs.Bundles).
const bundleFlagUsage = "ATT&CK bundle `FILE|DIR` to load (repeatable; - for stdin, " + stixcel.SeedBundleName +
	" for the embedded seed); with none, the embedded seed bundle alone"

// addBundleFlag registers --bundle on cmd, storing the paths in bundles.
func addBundleFlag(cmd *cobra.Command, bundles *[]string) {
	cmd.Flags().StringArrayVar(bundles, "bundle", nil, bundleFlagUsage)
}

// looksLikeBundle reports whether path is a regular file that opens as STIX JSON.
func looksLikeBundle(path string) bool { return attack.LooksLikeBundle(path) }

// errBundleArg is the error for a bundle given where the command wants something else.
func errBundleArg(path, want string) error {
	return inputErr(fmt.Errorf("%s is an ATT&CK bundle, not %s: did you mean --bundle %s?", path, want, path))
}

// checkEventFiles refuses an events argument that is an ATT&CK bundle (did you mean
// --bundle). Only regular files are looked at; stdin and FIFOs are left for the run.
func checkEventFiles(args []string) error {
	for _, a := range args {
		if a != "-" && looksLikeBundle(a) {
			return errBundleArg(a, "events")
		}
	}
	return nil
}

// errMissingArg says which argument a command lacks, with an example.
func errMissingArg(what, example string) error {
	return inputErr(errors.New("missing " + what + ", for example: " + example))
}
