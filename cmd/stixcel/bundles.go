package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
)

// bundleFlagUsage is the one help text of --bundle: every command takes bundles the same way
// and loads them by the same rule (stixcel.Inputs.Bundles).
const bundleFlagUsage = "ATT&CK bundle `FILE|DIR` to load (repeatable; - for stdin, " + stixcel.SeedBundleName +
	" for the embedded seed); with none, the embedded seed bundle alone"

// addBundleFlag registers --bundle on cmd, storing the paths in bundles.
func addBundleFlag(cmd *cobra.Command, bundles *[]string) {
	cmd.Flags().StringArrayVar(bundles, "bundle", nil, bundleFlagUsage)
}

// bundleSniffSize is how much of a file is read to tell whether it is a STIX bundle.
const bundleSniffSize = 4096

// stixStart matches the opening of an ATT&CK STIX document: a bundle, or an ATT&CK object.
var stixStart = regexp.MustCompile(`"type"\s*:\s*"(bundle|x-mitre-[a-z-]+|attack-pattern)"`)

// looksLikeBundle reports whether path is a regular file that opens as STIX JSON. It reads
// at most bundleSniffSize bytes and never opens anything but a regular file (a FIFO would
// block, and its bytes would be lost to the command that reads it).
func looksLikeBundle(path string) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, bundleSniffSize)
	n, _ := io.ReadFull(f, head)
	head = bytes.TrimLeft(bytes.TrimPrefix(head[:n], []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(head) > 0 && head[0] == '{' && stixStart.Match(head)
}

// errBundleArg is the error for a bundle given where the command wants something else.
func errBundleArg(path, want string) error {
	return inputErr(fmt.Errorf("%s is an ATT&CK bundle, not %s: did you mean --bundle %s?", path, want, path))
}

// checkPackDirs refuses a pack directory argument that is a file: a bundle gets "did you
// mean --bundle", any other file says a directory is wanted.
func checkPackDirs(args []string) error {
	for _, a := range args {
		if looksLikeBundle(a) {
			return errBundleArg(a, "a pack directory")
		}
		if st, err := os.Stat(a); err == nil && !st.IsDir() {
			return inputErr(fmt.Errorf("%s is a file: want a pack directory of YAML bindings", a))
		}
	}
	return nil
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
