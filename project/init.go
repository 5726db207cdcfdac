package project

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/stixcel/stixcel/internal/bounded"
)

// Found is what Scan found in a content repository: slash paths relative to its root.
type Found struct {
	// Packs are the directories holding binding YAML, outermost only (a pack is read with
	// its subdirectories).
	Packs []string
	// Bundles are the JSON files that open as ATT&CK STIX.
	Bundles []string
}

// scanDepth bounds how deep Scan looks below the root.
const scanDepth = 6

// skippedDirs are directories Scan does not enter: test material (as the pack loader skips
// it) and other tools' trees.
var skippedDirs = map[string]bool{"tests": true, "testdata": true, "node_modules": true, "vendor": true}

// bindingStart matches the key every binding opens with, at the start of a line.
var bindingStart = regexp.MustCompile(`(?m)^analytic:`)

// Scan walks root (hidden directories, tests, testdata, node_modules and vendor left out,
// at most scanDepth levels down) for pack directories and ATT&CK bundles; isBundle tells a
// bundle from other JSON.
func Scan(root string, isBundle func(path string) bool) (Found, error) {
	var found Found
	dirs := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if e.IsDir() {
			if p != root && (strings.HasPrefix(e.Name(), ".") || skippedDirs[e.Name()] || strings.Count(rel, string(filepath.Separator)) >= scanDepth) {
				return fs.SkipDir
			}
			return nil
		}
		switch ext := strings.ToLower(filepath.Ext(e.Name())); {
		case (ext == ".yaml" || ext == ".yml") && e.Name() != Name && isBinding(p):
			dirs[filepath.ToSlash(filepath.Dir(rel))] = true
		case ext == ".json" && isBundle(p):
			found.Bundles = append(found.Bundles, filepath.ToSlash(rel))
		}
		return nil
	})
	found.Packs = outermost(dirs)
	return found, err
}

// isBinding reports whether the YAML file at p opens a binding (an analytic: key).
func isBinding(p string) bool {
	data, err := bounded.ReadFile(p, bounded.MaxYAMLSize, "YAML", nil)
	return err == nil && bindingStart.Match(data)
}

// outermost returns the directories of dirs that lie in no other one of them, sorted.
func outermost(dirs map[string]bool) []string {
	var out []string
	for d := range dirs {
		inner := false
		for p := d; p != "." && p != "/" && !inner; {
			p = pathDir(p)
			inner = dirs[p]
		}
		if !inner {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// pathDir is the parent of a slash path, "." at the top.
func pathDir(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i]
	}
	return "."
}

// Template is the text stixcel init writes: a commented project file listing found.
func Template(found Found) []byte {
	var b bytes.Buffer
	b.WriteString(`# stixcel.yaml: the inputs of this content repository, so that stixcel test and
# stixcel lint (and compile, run, explain, search, new, coverage, diff, serve) need no flags.
# Paths are relative to this file. Flags add to the lists (--bundle, --pack, PACK_DIR
# arguments) and override the single values (--params, --source, --taxonomy); --no-config
# leaves this file out and --config FILE names another.

# ATT&CK STIX bundles (files, or directories of them). Download a release from
# https://github.com/mitre-attack/attack-stix-data/releases (enterprise-attack-18.1.json, ...)
# or take them from https://github.com/mitre/cti. With none, stixcel uses its embedded seed
# bundle, which holds a single analytic.
`)
	writeList(&b, "bundles", found.Bundles)
	b.WriteString(`
# Pack directories of YAML bindings (stixcel init lists the directories holding bindings).
`)
	writeList(&b, "packs", found.Packs)
	b.WriteString(`
# Sigma rules (files, or directories of them): kept for a later release; stixcel does not
# compile Sigma rules yet.
sigma: []

# A parameter profile (YAML) setting the analytics' parameters.
# params: params.yaml

# The source profile that maps raw events for run, serve and coverage --events: a built-in
# name (windows, ...) or a profile file.
# source: windows

# A log source taxonomy (YAML) replacing the built-in one.
# taxonomy: taxonomy.yaml
`)
	return b.Bytes()
}

func writeList(b *bytes.Buffer, key string, items []string) {
	if len(items) == 0 {
		b.WriteString(key + ": []\n")
		return
	}
	b.WriteString(key + ":\n")
	for _, it := range items {
		b.WriteString("  - " + strconv.Quote(it) + "\n")
	}
}

// Write writes data as the project file of dir, refusing to replace one unless force.
func Write(dir string, data []byte, force bool) (string, error) {
	path := filepath.Join(dir, Name)
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return path, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return path, err
	}
	return path, f.Close()
}

// Init writes the project file of dir, as `stixcel init` does: the packs and bundles Scan
// finds there (isBundle tells a bundle from other JSON), in Template's commented form. An
// existing file is kept unless force (an error wrapping fs.ErrExist). It returns the file's
// path and what was found.
func Init(dir string, isBundle func(path string) bool, force bool) (string, Found, error) {
	found, err := Scan(dir, isBundle)
	if err != nil {
		return "", found, fmt.Errorf("looking for packs: %w", err)
	}
	path, err := Write(dir, Template(found), force)
	return path, found, err
}
