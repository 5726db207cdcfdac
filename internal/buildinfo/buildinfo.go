// Package buildinfo describes the stixcel binary from the build information Go stamps into
// it (runtime/debug.BuildInfo): the module version and the VCS commit it was built from, as
// `stixcel version` prints them and SARIF output reports the version.
//
// A build without module or VCS information says so rather than guessing.
package buildinfo

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Devel is the version of a build outside a module version (go run, go build in a
// checkout, tests): Go reports it as "(devel)".
const Devel = "(devel)"

// Text describes a build: "stixcel v0.3.0 (commit 1a2b3c4d5e6f, 2026-11-30T10:00:00Z,
// modified; go1.26.8)"; info nil is a build without build information.
func Text(info *debug.BuildInfo) string {
	if info == nil {
		return "stixcel " + Devel + " (no build information)"
	}
	details := []string{"commit unknown"}
	if rev := setting(info, "vcs.revision"); rev != "" {
		details[0] = "commit " + rev
		if at := setting(info, "vcs.time"); at != "" {
			details = append(details, at)
		}
		if setting(info, "vcs.modified") == "true" {
			details = append(details, "modified")
		}
	}
	return fmt.Sprintf("stixcel %s (%s; %s)", Version(info), strings.Join(details, ", "), info.GoVersion)
}

// Version is the main module's version: v0.3.0 for go install …@v0.3.0, a pseudo-version
// for …@latest without tags, Devel for a build in a checkout or without build information.
func Version(info *debug.BuildInfo) string {
	if info == nil || info.Main.Version == "" {
		return Devel
	}
	return info.Main.Version
}

// Read is this binary's build information; nil when it has none.
func Read() *debug.BuildInfo {
	info, _ := debug.ReadBuildInfo()
	return info
}

// setting returns the value of the build setting key, or "".
func setting(info *debug.BuildInfo, key string) string {
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}
