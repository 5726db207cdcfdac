package drift

import (
	"fmt"
	"io"

	"github.com/stixcel/stixcel/compiler/attack"
)

// Loader loads ATT&CK bundles as attack.LoadPaths does (a caller may keep what it loaded).
type Loader func(paths []string, opts attack.Options) (*attack.Index, []attack.Warning, error)

// CompareReleases loads two releases (each a bundle file, a directory of bundles or "-" for
// stdin), revoked and deprecated analytics included, and compares them (Compare); the
// report names the paths. It writes to log, for each release, what it loaded and how many
// warnings loading it gave. The error is the first release's that could not be loaded. load
// reads each release; nil is attack.LoadPaths.
func CompareReleases(oldPath, newPath string, load Loader, stdin io.Reader, log io.Writer) (*Report, error) {
	if load == nil {
		load = attack.LoadPaths
	}
	older, err := loadRelease(load, oldPath, stdin, log)
	if err != nil {
		return nil, err
	}
	newer, err := loadRelease(load, newPath, stdin, log)
	if err != nil {
		return nil, err
	}
	r := Compare(older, newer)
	r.Old.Files, r.New.Files = []string{oldPath}, []string{newPath}
	return r, nil
}

func loadRelease(load Loader, path string, stdin io.Reader, log io.Writer) (*attack.Index, error) {
	ix, warnings, err := load([]string{path}, attack.Options{IncludeRevoked: true, Stdin: stdin})
	if err != nil {
		return nil, err
	}
	if len(warnings) > 0 {
		fmt.Fprintf(log, "%s: %d warnings while loading (see stixcel compile %s)\n", path, len(warnings), path)
	}
	fmt.Fprintf(log, "loaded %s: %s\n", path, ix.Stats)
	return ix, nil
}
