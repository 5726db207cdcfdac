package source

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/shared"
)

// otrfFiles lists the shared OTRF Security-Datasets exports.
func otrfFiles(t testing.TB) []string {
	dir := shared.Path(t, "datasets", "otrf-windows")
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no datasets in %s", dir)
	return files
}

// TestOTRFDatasets reads every shared Windows dataset with the windows profile: every line
// is an event or a rejection with a reason, and the counts add up.
func TestOTRFDatasets(t *testing.T) {
	p := windows(t)
	for _, path := range otrfFiles(t) {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".jsonl"), func(t *testing.T) {
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			r := event.NewReader(f, name, NewDecoder(p))
			histogram := map[string]int{}
			for {
				ev, rej, err := r.Next()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				if rej != nil {
					assert.NotEmpty(t, rej.Reason)
					t.Logf("rejected %s", rej.Error())
					continue
				}
				histogram[ev.LogSource]++
				assert.False(t, ev.Time.IsZero(), "%s:%d: zero time", name, ev.Line)
				assert.IsType(t, int64(0), eventField(ev, "EventCode"), "%s:%d: EventCode", name, ev.Line)
			}
			st := r.Stats()
			assert.Equal(t, st.Read, st.Processed+st.RejectedTotal())
			assert.Positive(t, st.Processed)
			t.Logf("read %d, processed %d, rejected %v; log sources: %s", st.Read, st.Processed, st.Rejected, formatHistogram(histogram))
		})
	}
}

func formatHistogram(h map[string]int) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, h[k])
	}
	return strings.Join(parts, " ")
}

// TestOTRFLsassAccess finds the Sysmon process-access events of the comsvcs.dll MiniDump
// dataset: the events an LSASS memory-access detection looks at.
func TestOTRFLsassAccess(t *testing.T) {
	path := shared.Path(t, "datasets", "otrf-windows", "psh_lsass_memory_dump_comsvcs.jsonl")
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r := event.NewReader(f, filepath.Base(path), NewDecoder(windows(t)))
	var access []any
	for {
		ev, rej, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if rej != nil || ev.LogSource != "WinEventLog:Sysmon" || eventField(ev, "EventCode") != int64(10) {
			continue
		}
		target, _ := eventField(ev, "TargetImage").(string)
		if strings.HasSuffix(strings.ToLower(target), `\lsass.exe`) {
			access = append(access, eventField(ev, "GrantedAccess"))
			assert.Equal(t, `C:\Windows\System32\rundll32.exe`, eventField(ev, "SourceImage"))
		}
	}
	assert.Equal(t, []any{"0x1fffff", "0x1410"}, access,
		"Sysmon EventCode 10 events with TargetImage ending in lsass.exe, GrantedAccess kept as hex strings")
}
