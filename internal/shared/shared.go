// Package shared locates the read-only ../shared material (ATT&CK bundles, datasets) for tests.
//
// Tests read it through one environment variable, STIXCEL_SHARED, which defaults to the
// "shared" directory beside the repository root. When it is absent a test is skipped with a
// clear message (a user's fresh clone), except under CI=true, where it fails instead.
package shared

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// EnvVar names the environment variable that points at the shared directory.
const EnvVar = "STIXCEL_SHARED"

// Dir returns the shared directory, or skips (fails under CI=true) the test when it is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(EnvVar)
	if dir == "" {
		dir = defaultDir()
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		msg := "shared test data not found at " + dir + " (set " + EnvVar + " to the directory holding attack/ and datasets/)"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return dir
}

// Path returns a file under the shared directory, skipping or failing as Dir does when the
// directory or the file is missing.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Dir(tb)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("shared file %s: %v", p, err)
		}
		tb.Skipf("shared file %s: %v", p, err)
	}
	return p
}

// defaultDir is ../shared relative to the module root (the directory holding go.mod).
func defaultDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return filepath.Join("..", "shared")
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared")
		}
		if filepath.Dir(d) == d {
			return filepath.Join("..", "shared")
		}
	}
}

// SigmaRuleFiles returns the rule files (*.yml, *.yaml) under each of dirs of the SigmaHQ
// snapshot (sigma/DIR, or sigma/rules/windows), in lexical order; with no dirs, those of
// its three rule folders (rules, rules-emerging-threats, rules-threat-hunting). It skips or
// fails as Dir does when the snapshot is missing.
func SigmaRuleFiles(tb testing.TB, dirs ...string) []string {
	tb.Helper()
	if len(dirs) == 0 {
		dirs = []string{"rules", "rules-emerging-threats", "rules-threat-hunting"}
	}
	var files []string
	for _, dir := range dirs {
		root := Path(tb, "sigma", dir)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")) {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			tb.Fatalf("walking %s: %v", root, err)
		}
	}
	return files
}
