package pack

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/stixcel/stixcel/diag"
)

// Pack is a loaded pack together with the file system its test events are read from: a
// test's `events:` path is relative to its binding file.
type Pack struct {
	Bindings []*Binding
	// Diagnostics are the findings of loading the pack; a binding whose file has errors has
	// each of its tests reported as an error.
	Diagnostics diag.Diagnostics
	// FS holds the pack's files.
	FS fs.FS
	// Root is the prefix of the bindings' File names that names the root of FS ("" when the
	// names are paths in FS, as for the embedded pack).
	Root string
}

// FromFS loads the pack rooted at root in fsys, such as the built-in pack
// (stixcel.BuiltinPack(), stixcel.BuiltinPackRoot). Binding files are named by their path in
// fsys and test events are read from fsys.
func FromFS(fsys fs.FS, root string) *Pack {
	bs, diags := LoadDir(fsys, root)
	return &Pack{Bindings: bs, Diagnostics: diags, FS: fsys}
}

// FromDir loads a pack directory of the operating system. Binding files are named as the
// user typed dir (dir/mobile/AN1828.yaml) and test events are read from under dir.
func FromDir(dir string) *Pack {
	bs, diags := LoadOSDir(dir)
	return &Pack{Bindings: bs, Diagnostics: diags, FS: os.DirFS(dir), Root: filepath.ToSlash(filepath.Clean(dir))}
}

// OpenEvents opens the events file of a test. The error names the file as the binding's
// directory and the test's path make it. The file must be inside the pack, also after
// symlinks: a link that leaves the pack is an error naming the link and the pack.
func (p *Pack) OpenEvents(b *Binding, tc *TestCase) (io.ReadCloser, string, error) {
	name := b.EventsPath(tc)
	rel := name
	switch {
	case p.Root == "" || p.Root == ".":
	case strings.HasPrefix(name, p.Root+"/"):
		rel = strings.TrimPrefix(name, p.Root+"/")
	case p.Root == "/":
		rel = strings.TrimPrefix(name, "/")
	}
	rel = path.Clean(rel)
	if !fs.ValidPath(rel) {
		return nil, name, fmt.Errorf("events file %s is outside the pack", name)
	}
	if p.FS == nil {
		return nil, name, fmt.Errorf("events file %s: the pack has no file system to read it from", name)
	}
	if p.Root != "" {
		if err := checkInside("events file", filepath.FromSlash(p.Root), name); err != nil {
			return nil, name, err
		}
	}
	f, err := p.FS.Open(rel)
	if err != nil {
		return nil, name, fmt.Errorf("events file %s: %w", name, unwrapPathError(err))
	}
	return f, name, nil
}

// checkInside refuses a file of the pack directory dir (what names the kind of file) that
// leaves the pack through a symlink (tests/link.jsonl -> /etc/shadow, a binding linked to
// ~/.ssh/config, or a directory linked elsewhere): after symlinks, the file must lie inside
// dir, itself after symlinks. A file that does not resolve is left to the reader to report;
// an embedded pack has no symlinks and is not checked.
func checkInside(what, dir, name string) error {
	root, err := realPath(dir)
	if err != nil {
		return nil
	}
	file, err := realPath(name)
	if err != nil {
		return nil
	}
	if file != root && !strings.HasPrefix(file, strings.TrimSuffix(root, string(filepath.Separator))+string(filepath.Separator)) {
		return fmt.Errorf("%s %s resolves to %s, outside the pack %s: symlinks may not leave the pack", what, name, file, filepath.ToSlash(dir))
	}
	return nil
}

// realPath is the absolute path of name after symlinks.
func realPath(name string) (string, error) {
	resolved, err := filepath.EvalSymlinks(name)
	if err != nil {
		return "", err
	}
	return filepath.Abs(resolved)
}

// unwrapPathError drops fs.PathError's own copy of the path, which is relative to the pack,
// and says "file does not exist" on every system.
func unwrapPathError(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fs.ErrNotExist
	}
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
