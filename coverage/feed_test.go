package coverage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
)

// TestTelemetry: telemetry is read as run reads it: the inputs are one batch sorted by event
// time (nothing is late), a bad line is rejected and counted, and the events that reach a
// channel's derived selector feed its analytic.
func TestTelemetry(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "testdata", "plans", "AN1828.plan.json"))
	require.NoError(t, err)
	defer f.Close()
	set, err := plan.Read(f)
	require.NoError(t, err)
	const (
		a = `{"time":"2026-03-20T09:10:00Z","log_source":"MobileEDR:telemetry","device_id":"ios-1","DeviceLockState":"locked"}` + "\n" +
			`{"time":"2026-03-20T09:00:00Z","log_source":"MobileEDR:telemetry","device_id":"ios-2","DeviceLockState":"locked"}` + "\n"
		b = "not json\n" + `{"time":"2026-03-20T09:05:00Z","log_source":"MobileEDR:telemetry","device_id":"ios-3","DeviceLockState":"locked"}` + "\n"
	)
	feeds, sum, err := Telemetry(context.Background(), set, []pump.Input{
		{Name: "a.jsonl", R: strings.NewReader(a)}, {Name: "b.jsonl", R: strings.NewReader(b)},
	}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(4), sum.Stats.Read)
	assert.Equal(t, int64(3), sum.Stats.Processed)
	assert.Equal(t, int64(1), sum.Stats.RejectedTotal(), "the bad line")
	assert.Equal(t, 3, feeds["AN1828"].Events)
	assert.Positive(t, feeds["AN1828"].Observed)
}
