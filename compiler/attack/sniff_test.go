package attack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLooksLikeBundle: a bundle given as events or as a pack directory is caught (did you
// mean --bundle), whatever its layout; events, other JSON and directories are not.
func TestLooksLikeBundle(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		want          bool
	}{
		{"a BOM and no spaces", "\xef\xbb\xbf{\"type\":\"bundle\",\"objects\":[]}", true},
		{"indented", "\n  {\n  \"type\" : \"bundle\",\n  \"id\": \"bundle--1\"}", true},
		{"one ATT&CK object", `{"type": "x-mitre-analytic", "id": "x-mitre-analytic--1"}`, true},
		{"a technique", `{"id": "attack-pattern--1", "type": "attack-pattern"}`, true},
		{"normalized events", `{"type":"process","time":"2026-11-30T10:00:00Z"}` + "\n", false},
		{"a JSON array", `[{"type":"bundle"}]`, false},
		{"YAML", "type: bundle\n", false},
		{"empty", "", false},
		{"the type past the first 4 KiB", `{"pad":"` + strings.Repeat("x", sniffSize) + `","type":"bundle"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".json")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o644))
			assert.Equal(t, tc.want, LooksLikeBundle(path))
		})
	}
	assert.True(t, LooksLikeBundle(filepath.Join("testdata", "release-2.1.json")), "a release bundle")
	assert.False(t, LooksLikeBundle(dir), "a directory")
	assert.False(t, LooksLikeBundle(filepath.Join(dir, "missing.json")), "a missing file")
}
