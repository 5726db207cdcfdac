// Package analytics embeds stixcel's built-in content, so that the CLI runs with nothing but
// events: the built-in pack, whose YAML bindings live in this directory (one file per
// analytic under mobile/ and enterprise/, the events of their tests under tests/), and the
// seed bundle seed/AN1828.json, the ATT&CK analytic the pack was first written for.
//
// Diagnostics name the pack's files by their path from the repository root
// (analytics/mobile/AN1828.yaml) and the seed by SeedName.
package analytics

import (
	"embed"
	"io/fs"
)

//go:embed README.md enterprise mobile
var packFiles embed.FS

//go:embed seed/AN1828.json
var seed []byte

// Root is the directory that holds the files of Pack, and the first element of their names.
const Root = "analytics"

// SeedName is the name diagnostics use for the seed bundle: where it sits in the repository,
// marked as built in.
const SeedName = "builtin:" + Root + "/seed/AN1828.json"

// pack shows packFiles under Root, as they sit in the repository.
var pack fs.FS = underDir{dir: Root, fsys: packFiles}

// Pack returns the built-in pack. Its files are under Root: analytics/mobile/AN1828.yaml.
func Pack() fs.FS { return pack }

// Seed returns a copy of the seed bundle.
func Seed() []byte { return append([]byte(nil), seed...) }
