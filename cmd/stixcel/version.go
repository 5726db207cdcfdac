package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// develVersion is the version of a build outside a module version (go run, go build in a
// checkout, tests): Go reports it as "(devel)".
const develVersion = "(devel)"

func (c *cli) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print stixcel's module version and the VCS commit it was built from",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return inputErr(fmt.Errorf("version takes no arguments, got %q", strings.Join(args, " ")))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			info, _ := debug.ReadBuildInfo()
			_, err := fmt.Fprintln(c.stdout, versionText(info))
			return err
		},
	}
}

// versionText describes a build: "stixcel v0.3.0 (commit 1a2b3c4d5e6f, 2026-11-30T10:00:00Z,
// modified; go1.26.8)". A build without module or VCS information says so rather than
// guessing.
func versionText(info *debug.BuildInfo) string {
	if info == nil {
		return "stixcel " + develVersion + " (no build information)"
	}
	details := []string{"commit unknown"}
	if rev := buildSetting(info, "vcs.revision"); rev != "" {
		details[0] = "commit " + rev
		if at := buildSetting(info, "vcs.time"); at != "" {
			details = append(details, at)
		}
		if buildSetting(info, "vcs.modified") == "true" {
			details = append(details, "modified")
		}
	}
	return fmt.Sprintf("stixcel %s (%s; %s)", moduleVersion(info), strings.Join(details, ", "), info.GoVersion)
}

// moduleVersion is the main module's version: v0.3.0 for go install …@v0.3.0, a
// pseudo-version for …@latest without tags, "(devel)" for a build in a checkout.
func moduleVersion(info *debug.BuildInfo) string {
	if info == nil || info.Main.Version == "" {
		return develVersion
	}
	return info.Main.Version
}

// buildSetting returns the value of the build setting key, or "".
func buildSetting(info *debug.BuildInfo, key string) string {
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// stixcelVersion is this binary's module version, as SARIF output reports it.
func stixcelVersion() string {
	info, _ := debug.ReadBuildInfo()
	return moduleVersion(info)
}
