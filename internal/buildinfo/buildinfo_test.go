package buildinfo

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func settings(kv ...string) []debug.BuildSetting {
	var out []debug.BuildSetting
	for i := 0; i < len(kv); i += 2 {
		out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestText(t *testing.T) {
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
		{"a time without a commit is not shown", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0"},
			Settings: settings("vcs.time", "2026-11-30T10:00:00Z", "vcs.modified", "true")},
			"stixcel v0.3.0 (commit unknown; go1.26.8)"},
		{"no VCS stamp", &debug.BuildInfo{GoVersion: "go1.26.8"}, "stixcel (devel) (commit unknown; go1.26.8)"},
		{"no build information", nil, "stixcel (devel) (no build information)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Text(tc.info))
		})
	}
}

// TestVersion: SARIF's tool version is the module version, "(devel)" when there is none.
func TestVersion(t *testing.T) {
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"a tagged module", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}}, "v0.3.0"},
		{"a pseudo-version", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261130100000-1a2b3c4d5e6f"}}, "v0.0.0-20261130100000-1a2b3c4d5e6f"},
		{"no module version", &debug.BuildInfo{}, Devel},
		{"no build information", nil, Devel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Version(tc.info))
		})
	}
}

// TestRead: a test binary has build information, and its version is Devel.
func TestRead(t *testing.T) {
	info := Read()
	if assert.NotNil(t, info) {
		assert.Equal(t, Devel, Version(info))
		assert.Regexp(t, `^stixcel \(devel\) \(.+; go1\.\d+.*\)$`, Text(info))
	}
}
