// Package stixcel loads stixcel's inputs and compiles them into plans: ATT&CK bundles (the
// embedded seed bundle when none is named), the built-in pack and the user's packs, a
// parameter profile and a log source taxonomy (see Inputs). The built-in content itself is
// embedded by package analytics.
package stixcel

import (
	"io/fs"
	"os"
	"path/filepath"

	"github.com/stixcel/stixcel/analytics"
)

// SeedBundleName is the name diagnostics use for the embedded seed bundle.
const SeedBundleName = analytics.SeedName

// BuiltinPackRoot is the name diagnostics use for files of the embedded pack.
const BuiltinPackRoot = analytics.Root

// BuiltinPack returns the embedded pack; paths inside start with "analytics/".
func BuiltinPack() fs.FS { return analytics.Pack() }

// SeedBundle returns the embedded seed bundle.
func SeedBundle() []byte { return analytics.Seed() }

// ReadPackFile reads a file a diagnostic names: from disk, else from the built-in pack (whose
// files diagnostics name "analytics/…"), for the caret snippets of diag.WriteText.
func ReadPackFile(name string) ([]byte, error) {
	if data, err := os.ReadFile(name); err == nil {
		return data, nil
	}
	return fs.ReadFile(BuiltinPack(), filepath.ToSlash(name))
}
