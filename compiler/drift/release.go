package drift

import (
	"fmt"
	"io"

	"github.com/stixcel/stixcel/compiler/attack"
)

// CompareReleases loads two releases (each a bundle file, a directory of bundles or "-" for
// stdin), revoked and deprecated analytics included, and compares them (Compare); the
// report names the paths. It writes to log, for each release, what it loaded and how many
// warnings loading it gave. The error is the first release's that could not be loaded.
func CompareReleases(oldPath, newPath string, stdin io.Reader, log io.Writer) (*Report, error) {
	older, err := loadRelease(oldPath, stdin, log)
	if err != nil {
		return nil, err
	}
	newer, err := loadRelease(newPath, stdin, log)
	if err != nil {
		return nil, err
	}
	r := Compare(older, newer)
	r.Old.Files, r.New.Files = []string{oldPath}, []string{newPath}
	return r, nil
}

func loadRelease(path string, stdin io.Reader, log io.Writer) (*attack.Index, error) {
	ix, warnings, err := attack.LoadPaths([]string{path}, attack.Options{IncludeRevoked: true, Stdin: stdin})
	if err != nil {
		return nil, err
	}
	if len(warnings) > 0 {
		fmt.Fprintf(log, "%s: %d warnings while loading (see stixcel compile %s)\n", path, len(warnings), path)
	}
	fmt.Fprintf(log, "loaded %s: %s\n", path, ix.Stats)
	return ix, nil
}
