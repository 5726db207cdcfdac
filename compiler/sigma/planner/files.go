package planner

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/bounded"
)

// File is one Sigma rule file: the path as the user named it (or as found under the
// directory they named) and its text.
type File struct {
	Path string
	Data []byte
}

// IsRuleFile reports whether a file found under a directory is read as Sigma rules: YAML by
// its extension.
func IsRuleFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yml" || ext == ".yaml"
}

// ReadPaths reads the rule files paths name: a file as given (whatever its extension), a
// directory walked for .yml and .yaml files in lexical order. An unreadable path is a
// diagnostic naming it; the others are still read.
func ReadPaths(paths []string) ([]File, diag.Diagnostics) {
	var files []File
	var diags diag.Diagnostics
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			diags.Errorf(diag.Pos{File: p}, diag.CodeIO, "sigma: %v", err)
			continue
		}
		if !info.IsDir() {
			files = appendFile(files, &diags, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				diags.Errorf(diag.Pos{File: path}, diag.CodeIO, "sigma: %v", err)
				return nil
			}
			if !d.IsDir() && IsRuleFile(d.Name()) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			diags.Errorf(diag.Pos{File: p}, diag.CodeIO, "sigma: %v", err)
		}
		sort.Strings(found)
		for _, f := range found {
			files = appendFile(files, &diags, f)
		}
	}
	return files, diags
}

func appendFile(files []File, diags *diag.Diagnostics, path string) []File {
	data, err := bounded.ReadFile(path, bounded.MaxYAMLSize, "YAML", nil)
	if err != nil {
		diags.Errorf(diag.Pos{File: path}, diag.CodeIO, "sigma: %v", err)
		return files
	}
	return append(files, File{Path: path, Data: data})
}

// decoded is one rule with the file it came from.
type decoded struct {
	rule *sigma.Rule
	path string
}

// decodeAll decodes every file's rules; a file whose rules do not decode contributes its
// diagnostics, and its documents that did decode still count.
func decodeAll(files []File) ([]decoded, diag.Diagnostics, int) {
	var out []decoded
	var diags diag.Diagnostics
	refused := 0
	for _, f := range files {
		rules, ds := sigma.Decode(f.Path, f.Data)
		diags = append(diags, ds...)
		if ds.HasErrors() { // which of the file's documents erred is not known: refuse them all
			refused += max(1, len(rules))
			continue
		}
		for _, r := range rules {
			out = append(out, decoded{rule: r, path: f.Path})
		}
	}
	return out, diags, refused
}

// ruleName names rule r in messages.
func ruleName(r *sigma.Rule) string {
	if r.Title.Value != "" {
		return fmt.Sprintf("rule %q", r.Title.Value)
	}
	return "rule " + r.ID.Value
}
