package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVersionText(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"go install @version", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0"},
			Settings: settings("vcs.revision", "1a2b3c", "vcs.time", "2026-11-30T10:00:00Z", "vcs.modified", "false")},
			"stixcel v0.3.0 (commit 1a2b3c, 2026-11-30T10:00:00Z; go1.26.8)"},
		{"a modified checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: settings("vcs.revision", "1a2b3c", "vcs.modified", "true")},
			"stixcel (devel) (commit 1a2b3c, modified; go1.26.8)"},
		{"no VCS stamp", &debug.BuildInfo{GoVersion: "go1.26.8"}, "stixcel (devel) (commit unknown; go1.26.8)"},
		{"no build information", nil, "stixcel (devel) (no build information)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, versionText(tc.info))
		})
	}
}

func TestVersionCommand(t *testing.T) {
	r := runCLI(t, nil, "version")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `^stixcel \S+ \(.+; go1\.\d+.*\)\n$`, r.stdout)

	r = runCLI(t, nil, "version", "now")
	assert.Equal(t, exitInput, r.code)
	assert.Equal(t, "stixcel: version takes no arguments, got \"now\"\n", r.stderr)
}
