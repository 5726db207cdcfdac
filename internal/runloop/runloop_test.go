package runloop

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/alertfmt"
	"github.com/stixcel/stixcel/internal/outfile"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/runtime"
)

// windowed alerts on port 4444 per device once its hour-long window closes (or at a flush).
func windowed() *plan.Set {
	return &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{{
		ID: "AN9001", Name: "port 4444", Kind: plan.KindDetection, Params: []*plan.Param{},
		Channels:    []*plan.Channel{{ID: "c1", LogSource: "net", Predicate: `event.dst_port == 4444`}},
		Correlation: plan.Correlation{GroupBy: []string{"device_id"}, WindowLiteral: "1h", Condition: "c1"},
	}}}
}

const (
	match = `{"time":"2026-03-20T09:00:00Z","log_source":"net","device_id":"d1","dst_port":4444}`
	other = `{"time":"2026-03-20T09:00:01Z","log_source":"net","device_id":"d1","dst_port":80}`
)

// runOn runs text (the lines of a.jsonl) through a Run of windowed(), returning its stdout,
// stderr and error.
func runOn(t *testing.T, ctx context.Context, text string, strict bool, rejects *pump.RejectsFile) (string, string, error) {
	t.Helper()
	eng, err := runtime.New(windowed(), runtime.WithWorkers(1))
	require.NoError(t, err)
	var stdout, stderr bytes.Buffer
	out, err := alertfmt.NewBuffered(&stdout, alertfmt.JSON, alertfmt.Options{})
	require.NoError(t, err)
	read := false
	r := &Run{Engine: eng, Out: out, Rejects: rejects, Stderr: &stderr, ReadDone: func() { read = true }}
	err = r.Events(ctx, []pump.Input{{Name: "a.jsonl", R: strings.NewReader(text)}}, pump.Options{Strict: strict})
	assert.True(t, read, "ReadDone is called")
	return stdout.String(), stderr.String(), err
}

func TestEvents(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name       string
		ctx        context.Context
		text       string
		strict     bool
		wantErr    string
		wantAlerts int
		wantStderr []string
	}{
		{"the open alert is written at the end", context.Background(), match + "\nnot json\n" + other + "\n", false, "", 1,
			[]string{"rejected: a.jsonl:2: invalid JSON", "read 3 lines from 1 file: 2 events processed, 1 rejected (invalid JSON: 1); 1 alerts, 0 hunt records\n"}},
		{"a strict stop writes the alert found", context.Background(), match + "\n" + other + "\nnot json\n" + match + "\n", true, "a.jsonl:3: invalid JSON", 1,
			[]string{"read 3 lines from 1 file: 2 events processed, 1 rejected (invalid JSON: 1); 1 alerts"}},
		{"nothing processed", context.Background(), "not json\n[1]\n", false, "no line of the input could be processed: 2 read, 2 rejected", 0,
			[]string{"read 2 lines from 1 file: 0 events processed, 2 rejected"}},
		{"a stop is no error", cancelled, match + "\n", false, "", 0,
			[]string{"read 0 lines from 1 file: 0 events processed, 0 rejected; 0 alerts"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runOn(t, tc.ctx, tc.text, tc.strict, nil)
			if tc.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
			}
			assert.Equal(t, tc.wantAlerts, strings.Count(stdout, `"analytic":"AN9001"`), stdout)
			for _, want := range tc.wantStderr {
				assert.Contains(t, stderr, want)
			}
		})
	}
}

// TestEventsWritesTheRejects: the rejects file is put in place at the end, with the lines
// rejected.
func TestEventsWritesTheRejects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rejects.jsonl")
	rejects, err := pump.CreateRejects(path, &outfile.Inputs{})
	require.NoError(t, err)
	_, _, err = runOn(t, context.Background(), match+"\nnot json\n", false, rejects)
	require.NoError(t, err)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "not json\n", string(got))
}
