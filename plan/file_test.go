package plan_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/plan"
)

func TestReadRunnableFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
		return path
	}
	good := write("plans.json", `{"schema": "stixcel.plan/v2", "plans": [
	  {"id": "AN2", "kind": "selector", "hunt": true, "channels": []},
	  {"id": "AN3", "kind": "detection", "channels": []}]}`)
	tests := []struct {
		name    string
		path    string
		hunting bool
		want    []string
		wantErr string
	}{
		{"not hunting", good, false, []string{"AN3"}, ""},
		{"hunting", good, true, []string{"AN2", "AN3"}, ""},
		{"a bad plan names the file", write("bad.json", `{"schema": "stixcel.plan/v1", "plans": []}`), false, nil, "bad.json: "},
		{"nested too deep", write("deep.json", strings.Repeat("[", 2000)), false, nil, "deep.json"},
		{"missing", filepath.Join(dir, "none.json"), false, nil, "none.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := plan.ReadRunnableFile(tc.path, tc.hunting)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			var got []string
			for _, p := range set.Plans {
				got = append(got, p.ID)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
