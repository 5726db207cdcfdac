package serve

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
)

// startServer starts a JetStream server on 127.0.0.1 (random port) with a temporary store,
// its options changed by tune, if any.
func startServer(t testing.TB, tune ...func(*server.Options)) *server.Server {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true}
	for _, f := range tune {
		f(opts)
	}
	s, err := server.NewServer(opts)
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second), "nats server not ready")
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// connect returns a JetStream client of url, closed at the end of the test.
func connect(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return js
}

// compileSet compiles the built-in pack over bundles (the seed bundle when none).
func compileSet(t testing.TB, bundles ...string) *plan.Set {
	t.Helper()
	set, _, err := stixcel.Inputs{Bundles: bundles}.Compile()
	require.NoError(t, err)
	return set
}

// runAlerts is what `stixcel run --lateness 0` writes for files: their merged events through
// one engine, then Flush; it returns the alert ids.
func runAlerts(t testing.TB, set *plan.Set, profile *source.Profile, files []string) []string {
	t.Helper()
	return runAlertsLate(t, set, profile, files, 0)
}

// runAlertsLate is runAlerts with each file out of order by up to lateness.
func runAlertsLate(t testing.TB, set *plan.Set, profile *source.Profile, files []string, lateness time.Duration) []string {
	t.Helper()
	eng, err := runtime.New(set)
	require.NoError(t, err)
	var readers []*event.Reader
	for _, f := range files {
		fh, err := os.Open(f)
		require.NoError(t, err)
		t.Cleanup(func() { _ = fh.Close() })
		var dec event.Decoder
		if profile != nil {
			dec = source.NewDecoder(profile)
		}
		readers = append(readers, event.NewReader(fh, f, dec))
	}
	merged := event.NewMerger(event.MergeOptions{Lateness: lateness}, readers...)
	var ids []string
	emit := func(o runtime.Output) {
		if a, ok := o.(*runtime.Alert); ok {
			ids = append(ids, a.ID)
		}
	}
	for {
		ev, _, err := merged.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if ev != nil {
			require.NoError(t, eng.Process(context.Background(), ev, emit))
		}
	}
	eng.Flush(emit)
	sort.Strings(ids)
	return ids
}

// publishFiles publishes files as `stixcel publish --lateness 0` does.
func publishFiles(t testing.TB, js jetstream.JetStream, n Names, profile *source.Profile, files []string) {
	t.Helper()
	publishFilesLate(t, js, n, profile, files, 0)
}

// publishFilesLate is publishFiles with each file out of order by up to lateness.
func publishFilesLate(t testing.TB, js jetstream.JetStream, n Names, profile *source.Profile, files []string, lateness time.Duration) {
	t.Helper()
	_, err := Publish(context.Background(), js, n, PublishOptions{Profile: profile, Lateness: lateness}, openInputs(t, files)...)
	require.NoError(t, err)
}

// worker is a running stage worker: stop cancels it and waits for it to return.
type worker struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when fn returned, with err set
	err    error
}

// run runs fn in a new worker.
func run(fn func(ctx context.Context) error) *worker {
	ctx, cancel := context.WithCancel(context.Background())
	w := &worker{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.err = fn(ctx)
	}()
	return w
}

// stop cancels the worker and waits up to 10s for it to return.
func (w *worker) stop(t testing.TB) error {
	w.cancel()
	select {
	case <-w.done:
		return w.err
	case <-time.After(10 * time.Second):
		t.Error("a worker did not stop within 10s")
		return nil
	}
}

// start runs fn until the worker is stopped (at the latest at the end of the test).
func start(t testing.TB, fn func(ctx context.Context) error) *worker {
	t.Helper()
	w := run(fn)
	t.Cleanup(func() { require.NoError(t, w.stop(t)) })
	return w
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stage1Drained reports whether the shared stage-1 consumer has handled every event.
func stage1Drained(t testing.TB, js jetstream.JetStream, n Names) bool {
	n = n.withDefaults()
	c, err := js.Consumer(context.Background(), n.EventsStream(), subjectToken(n.Prefix)+"-stage1")
	if err != nil {
		return false
	}
	info, err := c.Info(context.Background())
	require.NoError(t, err)
	return info.NumPending == 0 && info.NumAckPending == 0
}

// streamAlerts reads the whole alert stream: every message's id, duplicates included.
func streamAlerts(t testing.TB, js jetstream.JetStream, n Names) []string {
	t.Helper()
	n = n.withDefaults()
	st, err := js.Stream(context.Background(), n.AlertsStream())
	require.NoError(t, err)
	info, err := st.Info(context.Background())
	require.NoError(t, err)
	var ids []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(context.Background(), seq)
		require.NoError(t, err)
		ids = append(ids, m.Header.Get(jetstream.MsgIDHeader))
	}
	sort.Strings(ids)
	return ids
}

// waitAlerts waits until the alert stream holds want distinct ids and returns all its ids.
func waitAlerts(t testing.TB, js jetstream.JetStream, n Names, want int, timeout time.Duration) []string {
	t.Helper()
	var got []string
	deadline := time.Now().Add(timeout)
	for {
		got = streamAlerts(t, js, n)
		if len(slices.Compact(slices.Clone(got))) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logParked logs the reasons of the lines parked on the rejects subject, if any: why a
// failing comparison with run misses an alert.
func logParked(t testing.TB, js jetstream.JetStream, n Names) {
	t.Helper()
	st, err := js.Stream(context.Background(), n.withDefaults().RejectsStream())
	require.NoError(t, err)
	info, err := st.Info(context.Background())
	require.NoError(t, err)
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(context.Background(), seq)
		if err == nil {
			t.Logf("parked %s:%s: %s: %s", m.Header.Get(HeaderSource), m.Header.Get(HeaderLine), m.Header.Get(HeaderReason), m.Header.Get(HeaderDetail))
		}
	}
}
