package stixcel_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/internal/winshapes"
	"github.com/stixcel/stixcel/source"
)

// windowsShapes are the shapes TestBuiltinPackOnEveryWindowsShape writes the OTRF datasets in
// (source/shapes_test.go checks the variants between them event by event: EventID with
// Qualifiers, Winlogbeat 7's numbers).
var windowsShapes = []struct {
	name  string
	shape func(winshapes.Event) any
}{
	{"evtx_dump", func(e winshapes.Event) any { return e.EvtxDump(false) }},
	{"Winlogbeat 8", func(e winshapes.Event) any { return e.ECS(winshapes.Winlogbeat8) }},
	{"Elastic Agent", func(e winshapes.Event) any { return e.ECS(winshapes.ElasticAgent) }},
}

// TestBuiltinPackOnEveryWindowsShape: the ten shared OTRF datasets written as evtx_dump JSON and
// as ECS JSON (Winlogbeat 8, Elastic Agent) give byte for byte the alerts of the flat
// exports, evidence included, through the built-in pack and ATT&CK v18.1.
func TestBuiltinPackOnEveryWindowsShape(t *testing.T) {
	set := compileBuiltin(t, loadEnterprise(t))
	profile, err := source.Builtin("windows")
	require.NoError(t, err)
	dir := shared.Path(t, "datasets", "otrf-windows")
	timeOf := func(line []byte) (time.Time, bool) {
		ev, bad := source.NewDecoder(profile).Decode(line)
		if bad != nil || len(line) == 0 {
			return time.Time{}, false
		}
		return ev.Time, true
	}
	for _, tc := range datasetAlerts {
		flatPath := filepath.Join(dir, tc.dataset+".jsonl")
		flatRun := runDataset(t, set, profile, flatPath)
		want, wantRead := alertsJSON(t, flatRun), flatRun.read
		require.NotEmpty(t, want)
		require.Contains(t, want[0], `"fields":{`, "alerts carry their events' fields")
		flat, err := os.ReadFile(flatPath)
		require.NoError(t, err)
		for _, sh := range windowsShapes {
			t.Run(tc.dataset+"/"+sh.name, func(t *testing.T) {
				data, err := winshapes.ConvertFlat(flat, timeOf, sh.shape)
				require.NoError(t, err)
				path := filepath.Join(t.TempDir(), tc.dataset+".jsonl") // the same name: evidence cites it
				require.NoError(t, os.WriteFile(path, data, 0o600))
				run := runDataset(t, set, profile, path)
				assert.Equal(t, want, alertsJSON(t, run))
				assert.Equal(t, wantRead, run.read, "every line accounted for alike")
				assert.Empty(t, run.evalErrs)
			})
		}
	}
}

// alertsJSON is a run's alerts as JSON lines.
func alertsJSON(t *testing.T, run datasetRun) []string {
	t.Helper()
	out := make([]string, len(run.all))
	for i, a := range run.all {
		b, err := json.Marshal(a)
		require.NoError(t, err)
		out[i] = string(b)
	}
	return out
}
