// Package project reads stixcel.yaml, the project file of a content repository: the inputs
// every command would otherwise take as flags, so that CI runs `stixcel test` and `stixcel
// lint` with none (docs/project-file.md).
//
// The file is found in the working directory or the nearest parent (as golangci-lint and
// contentctl find theirs), stopping at the root of the git repository (a directory holding
// .git): a project file belongs to its repository, and one outside it is never picked up.
// It holds
//
//	bundles: [FILE|DIR, ...]   ATT&CK bundles
//	packs: [DIR, ...]          pack directories of YAML bindings
//	sigma: [FILE|DIR, ...]     Sigma rule files or directories (--sigma)
//	params: FILE               a parameter profile
//	source: NAME|FILE.yaml     a source profile, built-in by name or a file
//	taxonomy: FILE             a log source taxonomy
//
// Paths are relative to the file's directory (File holds them resolved). Flags meet the file
// by one rule: a list key (bundles, packs, sigma) is added to by its flags (--bundle, --pack,
// PACK_DIR arguments come after the file's entries, so that a later pack wins as it does
// among flags); a single value (params, source, taxonomy) is overridden by its flag. Unknown
// keys are positioned errors with a did-you-mean, as in packs.
package project

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/bounded"
	"github.com/stixcel/stixcel/internal/yamlpos"
)

// Name is the file name of a project file.
const Name = "stixcel.yaml"

// File is a project file as read, every path resolved against the file's directory.
type File struct {
	// Path is the file, as found or named.
	Path string
	// Bundles, Packs and Sigma are the lists, in file order.
	Bundles, Packs, Sigma []string
	// Params, Source and Taxonomy are "" when the file does not set them. Source is a
	// built-in profile's name as written, or a resolved path when it ends in .yaml or .yml.
	Params, Source, Taxonomy string
}

// Find returns the project file of dir: dir's stixcel.yaml, or that of the nearest parent,
// up to the first directory holding .git (included) or the root of the file system. It
// returns "" when there is none.
func Find(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		path := filepath.Join(dir, Name)
		if st, err := os.Stat(path); err == nil && !st.IsDir() {
			return path, nil
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if isRepoRoot(dir) || parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// isRepoRoot reports whether dir is the top of a git work tree (.git is a directory there,
// or a file in a linked work tree).
func isRepoRoot(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ".git"))
	return err == nil
}

// Load reads the project file at path. Problems in the file come back as diag.Diagnostics.
func Load(path string) (*File, error) {
	data, err := bounded.ReadFile(path, bounded.MaxYAMLSize, "YAML", nil)
	if err != nil {
		return nil, err
	}
	f, diags := Parse(path, data)
	if diags.HasErrors() {
		diags.Sort()
		return nil, diags
	}
	return f, nil
}

// Parse decodes a project file's data; path names it in positions and its directory is
// what relative paths are relative to. An empty file is an empty project.
func Parse(path string, data []byte) (*File, diag.Diagnostics) {
	d := &decoder{Decoder: yamlpos.NewDecoder(path, data), dir: filepath.Dir(path)}
	f := &File{Path: path}
	body := d.Document(data)
	if body == nil {
		return f, d.Diags
	}
	d.Fields(body, Name, []yamlpos.Field{
		{Name: "bundles", Decode: func(e yamlpos.Entry) { f.Bundles = d.paths(e.Value, "bundles") }},
		{Name: "packs", Decode: func(e yamlpos.Entry) { f.Packs = d.paths(e.Value, "packs") }},
		{Name: "sigma", Decode: func(e yamlpos.Entry) { f.Sigma = d.paths(e.Value, "sigma") }},
		{Name: "params", Decode: func(e yamlpos.Entry) { f.Params = d.path(e.Value, "params") }},
		{Name: "source", Decode: func(e yamlpos.Entry) { f.Source = d.source(e.Value) }},
		{Name: "taxonomy", Decode: func(e yamlpos.Entry) { f.Taxonomy = d.path(e.Value, "taxonomy") }},
	})
	return f, d.Diags
}

// decoder reads the file's keys, resolving paths against dir.
type decoder struct {
	*yamlpos.Decoder
	dir string
}

// builtinPrefix starts the name of an embedded file (the seed bundle), which is no path.
const builtinPrefix = "builtin:"

// paths reads a list of paths; a single path is a list of one.
func (d *decoder) paths(n ast.Node, what string) []string {
	v := d.Unwrap(n, what)
	if v == nil {
		return nil
	}
	if _, scalar := d.Src.Scalar(d.File, v); scalar && !yamlpos.IsNull(v) {
		if p := d.path(v, what); p != "" {
			return []string{p}
		}
		return nil
	}
	var out []string
	for _, s := range d.StrList(v, what) {
		if p, ok := d.resolve(s, what); ok {
			out = append(out, p)
		}
	}
	return out
}

// path reads one path; null is none.
func (d *decoder) path(n ast.Node, what string) string {
	if yamlpos.IsNull(n) {
		return ""
	}
	s, ok := d.NonEmpty(n, what)
	if !ok {
		return ""
	}
	p, _ := d.resolve(s, what)
	return p
}

// source reads a source profile: a built-in name as written, a file resolved.
func (d *decoder) source(n ast.Node) string {
	if yamlpos.IsNull(n) {
		return ""
	}
	s, ok := d.NonEmpty(n, "source")
	if !ok || !IsYAMLFile(s.Value) {
		return s.Value
	}
	p, _ := d.resolve(s, "source")
	return p
}

// IsYAMLFile reports whether name ends in .yaml or .yml: a file, where a source profile may
// also be a built-in name.
func IsYAMLFile(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// resolve joins a relative path to the file's directory; embedded names stay as they are,
// and stdin cannot be named.
func (d *decoder) resolve(s yamlpos.String, what string) (string, bool) {
	p := s.Value
	switch {
	case p == "-":
		d.Diags.Errorf(s.Pos, diag.CodeBadValue, "%s: - (stdin) cannot be named in %s; give it as a flag", what, Name)
		return "", false
	case strings.HasPrefix(p, builtinPrefix), filepath.IsAbs(p):
		return p, true
	}
	return filepath.Join(d.dir, filepath.FromSlash(p)), true
}

// Using is what a command that uses the file says on stderr: "using stixcel.yaml (PATH)\n".
func (f *File) Using() string {
	return fmt.Sprintf("using %s (%s)\n", filepath.Base(f.Path), f.Path)
}
