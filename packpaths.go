package stixcel

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/pack"
)

// PackPaths are the PACK_DIR and BINDING.yaml arguments of test and lint. A binding file
// stands for its directory loaded as a pack, restricted to the files named in it (its
// tests' events are read relative to it, as in the whole pack).
type PackPaths struct {
	// Dirs are the pack directories to load (Inputs.Packs), each once, in argument order.
	Dirs []string
	// only maps a directory of Dirs to the binding files named in it; a directory given
	// as such is absent (all of its bindings).
	only map[string][]string
}

// ParsePackPaths sorts paths into pack directories and binding files; another file than a
// YAML binding (.yaml, .yml) is an error naming it. A path that does not exist is taken for
// a directory (loading it says it is missing).
func ParsePackPaths(paths []string) (PackPaths, error) {
	pp := PackPaths{only: map[string][]string{}}
	whole := map[string]bool{}
	for _, a := range paths {
		dir, file := a, ""
		if st, err := os.Stat(a); err == nil && !st.IsDir() {
			if ext := strings.ToLower(filepath.Ext(a)); ext != ".yaml" && ext != ".yml" {
				return pp, fmt.Errorf("%s is a file but not a YAML binding: want a pack directory or a binding file (.yaml, .yml)", a)
			}
			dir, file = filepath.Dir(a), filepath.Clean(a)
		}
		key := filepath.Clean(dir)
		if _, seen := pp.only[key]; !seen && !whole[key] {
			pp.Dirs = append(pp.Dirs, dir)
		}
		if file == "" {
			whole[key] = true
			delete(pp.only, key)
		} else if !whole[key] {
			pp.only[key] = append(pp.only[key], file)
		}
	}
	return pp, nil
}

// Restrict keeps, in the loaded packs that stand for binding files (by their root, among
// the project file's packs too), the bindings and diagnostics of those files alone; a second
// pack with the same root keeps nothing, so that no binding is loaded twice.
func (pp PackPaths) Restrict(l *Loaded) {
	seen := map[string]bool{}
	for _, p := range l.Packs {
		root := filepath.Clean(filepath.FromSlash(p.Root))
		files, ok := pp.only[root]
		if !ok {
			continue
		}
		if seen[root] {
			p.Bindings, p.Diagnostics = nil, nil
			continue
		}
		seen[root] = true
		named := func(f string) bool { return slices.Contains(files, filepath.Clean(f)) }
		p.Bindings = slices.DeleteFunc(p.Bindings, func(b *pack.Binding) bool { return !named(b.File) })
		p.Diagnostics = slices.DeleteFunc(p.Diagnostics, func(d diag.Diagnostic) bool { return d.Pos.File != "" && !named(d.Pos.File) })
	}
}
