package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// t0 is the start of every synthetic test stream.
var t0 = time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)

// loadAN1828 reads the hand-written AN1828 plan, applying params overrides (plan JSON form).
func loadAN1828(t testing.TB, overrides map[string]any) *plan.Set {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "plans", "AN1828.plan.json"))
	require.NoError(t, err)
	defer f.Close()
	set, err := plan.Read(f)
	require.NoError(t, err)
	for name, v := range overrides {
		prm := set.Plans[0].Param(name)
		require.NotNil(t, prm, "param %s", name)
		prm.Value = v
		prm.Source = plan.SourceProfile
	}
	return set
}

// run processes events through a new engine and flushes it.
func run(t testing.TB, set *plan.Set, events []*event.Event, opts ...Option) ([]Output, Stats) {
	t.Helper()
	return runWithStats(t, set, events, 0, opts...)
}

// runWithStats is run calling Sync and Stats after every statsEvery events (0: never); with
// workers, Sync runs part of a batch.
func runWithStats(t testing.TB, set *plan.Set, events []*event.Event, statsEvery int, opts ...Option) ([]Output, Stats) {
	t.Helper()
	eng, err := New(set, opts...)
	require.NoError(t, err)
	var out []Output
	emit := func(o Output) { out = append(out, o) }
	for i, ev := range events {
		eng.Process(context.Background(), ev, emit)
		if statsEvery > 0 && (i+1)%statsEvery == 0 {
			eng.Sync()
			eng.Stats()
		}
	}
	eng.Flush(emit)
	return out, eng.Stats()
}

// summarize renders alerts as "device c1=3 c2=3 c4=1" lines, and hunts as "hunt AN c1 line".
func summarize(outs []Output) []string {
	lines := []string{}
	for _, o := range outs {
		switch v := o.(type) {
		case *Alert:
			var b strings.Builder
			fmt.Fprintf(&b, "%v", v.Group["device_id"])
			for _, c := range v.Channels {
				fmt.Fprintf(&b, " %s=%d", c.ID, c.Count)
			}
			lines = append(lines, b.String())
		case *Hunt:
			lines = append(lines, fmt.Sprintf("hunt %s %s %s:%d", v.Analytic, v.Channel, v.Source, v.Line))
		}
	}
	return lines
}

// stream builds events with increasing line numbers.
type stream struct{ events []*event.Event }

func (s *stream) add(at time.Duration, logSource string, fields map[string]any) {
	fields["time"] = t0.Add(at).Format(time.RFC3339Nano)
	fields["log_source"] = logSource
	s.events = append(s.events, &event.Event{
		Time: t0.Add(at), LogSource: logSource, Fields: fields, Source: "test.jsonl", Line: len(s.events) + 1,
	})
}

// session is a VPN:MobileProxy session of app com.example.flashlight.
func (s *stream) session(at time.Duration, device, protocol string, port int64, host string) {
	s.add(at, "VPN:MobileProxy", map[string]any{
		"device_id": device, "app_bundle_id": "com.example.flashlight", "session_id": fmt.Sprintf("s-%d", len(s.events)),
		"dst_host": host, "dst_ip": "203.0.113.7", "dst_port": port, "protocol": protocol, "service_class": "unknown",
	})
}

// beacon is a TLS session to c2.example.net:4444.
func (s *stream) beacon(at time.Duration, device string) {
	s.session(at, device, "tls", 4444, "c2.example.net")
}

// edr is a MobileEDR:telemetry event; empty lock or activity leave defaults that match nothing.
func (s *stream) edr(at time.Duration, device, lock string, delta int64, activity string) {
	s.add(at, "MobileEDR:telemetry", map[string]any{
		"device_id": device, "app_bundle_id": "com.example.flashlight",
		"DeviceLockState": lock, "LastUserInteractionDelta": delta, "activity": activity,
	})
}

// locked is an EDR event that matches only c4.
func (s *stream) locked(at time.Duration, device string) {
	s.edr(at, device, "locked", 10, "user_interaction")
}

func (s *stream) mdm(at time.Duration, device string, managed, supervised bool) {
	s.add(at, "iOS:MDMLog", map[string]any{
		"device_id": device, "app_bundle_id": "com.example.flashlight", "managed": managed, "supervised": supervised,
	})
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// readEvents reads a JSONL file, failing on any rejection.
func readEvents(t testing.TB, path string) []*event.Event {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	return decodeAll(t, f, strings.TrimPrefix(filepath.ToSlash(path), "../")) // repository-relative
}

// decodeAll reads the JSON lines of r, named name, as raw-backed events, failing on any
// rejected line.
func decodeAll(t testing.TB, in io.Reader, name string) []*event.Event {
	t.Helper()
	r := event.NewReader(in, name, nil)
	var out []*event.Event
	for {
		ev, rej, err := r.Next()
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			return out
		}
		require.Nil(t, rej, "rejected line")
		out = append(out, ev)
	}
}
