package main

import (
	"fmt"
	"slices"

	"github.com/stixcel/stixcel/internal/outfile"
)

// inputsOf are the files a command reads (event files, bundles, packs, profiles; stdin when
// it is a regular file), which no output may overwrite.
func (c *cli) inputsOf(paths ...[]string) *outfile.Inputs {
	in := &outfile.Inputs{}
	in.Add(slices.Concat(paths...)...)
	in.AddStdin(c.stdin)
	return in
}

// createOutput starts writing the output file that flag names: atomically, and never over
// an input (exit 2 naming the flag).
func createOutput(flag, path string, in *outfile.Inputs) (*outfile.File, error) {
	f, err := outfile.Create(path, in)
	if err != nil {
		return nil, inputErr(fmt.Errorf("%s: %w", flag, err))
	}
	return f, nil
}

// files lists the non-empty names.
func files(names ...string) []string {
	var out []string
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}
