// Package stixcel holds stixcel's built-in content: the pack in analytics/ and the user's seed
// bundle (ATT&CK analytic AN1828), embedded so that the CLI runs with nothing but events.
package stixcel

import (
	"embed"
	"io/fs"
)

//go:embed analytics
var builtinPack embed.FS

//go:embed testdata/seed/AN1828.json
var seedBundle []byte

// SeedBundleName is the name diagnostics use for the embedded seed bundle.
const SeedBundleName = "builtin:testdata/seed/AN1828.json"

// BuiltinPackRoot is the name diagnostics use for files of the embedded pack.
const BuiltinPackRoot = "analytics"

// BuiltinPack returns the embedded pack; paths inside start with "analytics/".
func BuiltinPack() fs.FS { return builtinPack }

// SeedBundle returns the embedded seed bundle.
func SeedBundle() []byte { return append([]byte(nil), seedBundle...) }
