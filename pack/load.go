package pack

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/bounded"
)

// projectFile is the name of the project file (package project), which a content
// repository may keep in a pack directory, and which is no binding.
const projectFile = "stixcel.yaml"

// skippedDirs are directories of a pack that hold test material, not bindings.
var skippedDirs = map[string]bool{"tests": true, "testdata": true}

// LoadDir decodes every binding of the pack rooted at root in fsys: each *.yaml and *.yml
// file under it but stixcel.yaml (the project file), sorted by path, with File set to the
// path joined to root. Directories named tests or testdata (test events and fixtures) and
// entries whose name starts with a dot are skipped; every other YAML file must be a
// binding, so a stray or misspelled file is reported rather than silently ignored. Two
// bindings for the same analytic are an error naming both files. Bindings with errors are
// returned too (check the diagnostics), so that later stages can still report on them; files
// that are not YAML mappings are left out.
func LoadDir(fsys fs.FS, root string) ([]*Binding, diag.Diagnostics) {
	return load(fsys, root, func(p string) string { return p }, nil)
}

// LoadOSDir is LoadDir for a directory of the operating system, as the user named it: files
// and positions read dir/mobile/AN1828.yaml, whether dir is relative or absolute. A binding
// file must lie inside dir also after symlinks, as test events must (Pack.OpenEvents): a
// link that leaves the pack is an error naming the link and the pack, and nothing of the
// file it points to is read.
func LoadOSDir(dir string) ([]*Binding, diag.Diagnostics) {
	name := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
	inside := func(file string) error { return checkInside("binding file", dir, file) }
	return load(os.DirFS(dir), ".", name, inside)
}

// load walks root in fsys; name turns an fs path into the file name used in positions, and
// inside, when not nil, refuses a file name that leaves the pack.
func load(fsys fs.FS, root string, name func(string) string, inside func(string) error) ([]*Binding, diag.Diagnostics) {
	var diags diag.Diagnostics
	var files []string
	err := fs.WalkDir(fsys, root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			diags.Errorf(diag.Pos{File: name(p)}, diag.CodeIO, "reading pack: %v", err)
			return nil
		}
		name := e.Name()
		if p != root && (strings.HasPrefix(name, ".") || e.IsDir() && skippedDirs[name]) {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !e.IsDir() && isYAML(name) && name != projectFile {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		diags.Errorf(diag.Pos{File: name(root)}, diag.CodeIO, "reading pack: %v", err)
	}
	var bindings []*Binding
	sort.Strings(files)
	for _, file := range files {
		if inside != nil {
			if err := inside(name(file)); err != nil {
				diags.Errorf(diag.Pos{File: name(file)}, diag.CodeIO, "reading binding: %v", err)
				continue
			}
		}
		data, err := bounded.ReadFS(fsys, file, name(file), bounded.MaxYAMLSize, "YAML", nil)
		if err != nil {
			diags.Errorf(diag.Pos{File: name(file)}, diag.CodeIO, "reading binding: %v", err)
			continue
		}
		b, ds := ParseBinding(name(file), data)
		diags = append(diags, ds...)
		if b != nil {
			bindings = append(bindings, b)
		}
	}
	diags = append(diags, checkDuplicates(bindings)...)
	diags.Sort()
	return bindings, diags
}

func isYAML(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// checkDuplicates reports every binding whose analytic an earlier binding already binds.
func checkDuplicates(bindings []*Binding) diag.Diagnostics {
	var diags diag.Diagnostics
	first := map[string]*Binding{}
	for _, b := range bindings {
		id := b.Analytic.Value
		if id == "" {
			continue
		}
		if prev, dup := first[id]; dup {
			diags.Errorf(b.Analytic.Pos, diag.CodeDuplicate, "analytic %s is bound twice in the pack: %s and %s",
				id, prev.Analytic.Pos, b.Analytic.Pos)
			continue
		}
		first[id] = b
	}
	return diags
}
