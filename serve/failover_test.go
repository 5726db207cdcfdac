package serve

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// killable is a worker on a connection of its own: kill closes the connection under it, as
// a crash would (no ack, no lease released).
type killable struct {
	nc *nats.Conn
	w  *worker
}

func (k *killable) kill(t *testing.T) {
	k.nc.Close()
	_ = k.w.stop(t) // it fails: its connection is gone
}

func (c *cluster) own(url string) (*nats.Conn, jetstream.JetStream) {
	nc, err := nats.Connect(url)
	require.NoError(c.t, err)
	c.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(c.t, err)
	return nc, js
}

func (c *cluster) killableStage1(url string, m *Metrics) *killable {
	nc, js := c.own(url)
	s := &Stage1{JS: js, Names: testNames, Set: c.set, Profile: c.profile, AckWait: 2 * time.Second, Metrics: m, Batch: 16}
	w := run(s.Run)
	c.t.Cleanup(func() { _ = w.stop(c.t) })
	return &killable{nc: nc, w: w}
}

func (c *cluster) killableStage2(url string, m *Metrics) *killable {
	nc, js := c.own(url)
	s := &Stage2{JS: js, Names: testNames, Set: c.set, Profile: c.profile, IdleFlush: 2 * time.Second, Metrics: m}
	w := run(s.Run)
	c.t.Cleanup(func() { _ = w.stop(c.t) })
	return &killable{nc: nc, w: w}
}

// TestFailover kills a stage-1 and a stage-2 worker mid-stream and starts replacements: the
// alerts are still exactly run's, each once in the stream.
func TestFailover(t *testing.T) {
	files := datasets(t)
	set, profile := windowsSet(t)
	want := runAlerts(t, set, profile, files)
	srv := startServer(t)
	js := connect(t, srv.ClientURL())
	require.NoError(t, Setup(context.Background(), js, testNames))
	c := &cluster{t: t, js: js, set: set, profile: profile}

	in1, in2 := &Metrics{}, &Metrics{}
	victim1 := c.killableStage1(srv.ClientURL(), in1)
	c.killableStage1(srv.ClientURL(), &Metrics{})
	owner, standby := &Metrics{}, &Metrics{}
	victim2 := c.killableStage2(srv.ClientURL(), owner)
	waitFor(t, 30*time.Second, "the first owner", func() bool { return owner.Takeovers.Load() == int64(testNames.Partitions) })
	c.killableStage2(srv.ClientURL(), standby)

	var wg sync.WaitGroup
	wg.Go(func() { publishFiles(t, js, testNames, profile, files) })
	waitFor(t, 180*time.Second, "stage 1 mid-stream", func() bool { return in1.EventsIn.Load() > 500 })
	victim1.kill(t)
	c.killableStage1(srv.ClientURL(), in2) // the replacement
	waitFor(t, 180*time.Second, "stage 2 mid-stream", func() bool { return owner.Replayed.Load()+standby.Replayed.Load() >= 5 })
	killed := time.Now()
	victim2.kill(t)
	waitFor(t, 90*time.Second, "the takeover", func() bool { return standby.Takeovers.Load() >= int64(testNames.Partitions) })
	resumed := time.Since(killed)
	wg.Wait()
	waitFor(t, 180*time.Second, "stage 1", func() bool { return stage1Drained(t, js, testNames) })
	c.assertAlerts(want)
	t.Logf("stage 2 failover: resumed after %s (lease TTL %s); the old owner had read %d matches, the new one replayed %d",
		resumed.Round(time.Millisecond), testNames.LeaseTTL, owner.Replayed.Load(), standby.Replayed.Load())
}
