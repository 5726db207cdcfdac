package serve

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"
)

// natsCluster is three JetStream servers routed on 127.0.0.1.
type natsCluster struct {
	t       *testing.T
	opts    []*server.Options
	servers []*server.Server
}

func startCluster(t *testing.T) *natsCluster {
	c := &natsCluster{t: t}
	ports := freePorts(t, 6)
	var routes []*url.URL
	for i := range 3 {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", ports[3+i])})
	}
	for i := range 3 {
		c.opts = append(c.opts, &server.Options{ServerName: fmt.Sprintf("s%d", i), Host: "127.0.0.1", Port: ports[i],
			JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true, Routes: routes,
			Cluster: server.ClusterOpts{Name: "stixcel", Host: "127.0.0.1", Port: ports[3+i]}})
	}
	for _, o := range c.opts {
		s, err := server.NewServer(o)
		require.NoError(t, err)
		go s.Start()
		c.servers = append(c.servers, s)
	}
	for _, s := range c.servers {
		require.True(t, s.ReadyForConnections(30*time.Second), "cluster server not ready")
	}
	t.Cleanup(func() {
		for _, s := range c.servers {
			s.Shutdown()
			s.WaitForShutdown()
		}
	})
	waitFor(t, 90*time.Second, "a JetStream meta leader", func() bool {
		for _, s := range c.servers {
			if s.JetStreamIsLeader() {
				return true
			}
		}
		return false
	})
	return c
}

func (c *natsCluster) start(o *server.Options) *server.Server {
	s, err := server.NewServer(o)
	require.NoError(c.t, err)
	go s.Start()
	require.True(c.t, s.ReadyForConnections(10*time.Second))
	return s
}

// urls are the client URLs of the servers.
func (c *natsCluster) urls() string {
	var us []string
	for _, s := range c.servers {
		us = append(us, s.ClientURL())
	}
	return strings.Join(us, ",")
}

// restart shuts server i down, waits, and starts it again on its store and ports.
func (c *natsCluster) restart(i int, down time.Duration) {
	c.servers[i].Shutdown()
	c.servers[i].WaitForShutdown()
	time.Sleep(down)
	c.servers[i] = c.start(c.opts[i].Clone())
}

// TestClusterRestart runs the ten datasets on a 3-server cluster with R3 streams; one server
// is shut down and restarted mid-stream: the alerts are still exactly run's, each once.
func TestClusterRestart(t *testing.T) {
	files := datasets(t)
	set, profile := windowsSet(t)
	want := runAlerts(t, set, profile, files)
	nc := startCluster(t)
	js := connect(t, nc.urls())
	names := testNames
	names.Replicas = 3
	waitFor(t, 90*time.Second, "R3 streams", func() bool {
		return Setup(context.Background(), js, names) == nil
	})
	supervised := func(fn func(context.Context) error) {
		w := run(func(ctx context.Context) error {
			Supervise(ctx, fn, func(err error, _ time.Duration) { t.Logf("restarted: %v", err) })
			return nil
		})
		t.Cleanup(func() { require.NoError(t, w.stop(t)) })
	}
	in := &Metrics{}
	for range 2 {
		supervised((&Stage1{JS: js, Names: names, Set: set, Profile: profile, AckWait: 2 * time.Second, Metrics: in, Batch: 16}).Run)
		supervised((&Stage2{JS: js, Names: names, Set: set, Profile: profile, IdleFlush: 2 * time.Second}).Run)
	}
	var wg sync.WaitGroup
	wg.Go(func() { publishFiles(t, js, names, profile, files) })
	waitFor(t, 180*time.Second, "mid-stream", func() bool { return in.EventsIn.Load() > 1000 })
	nc.restart(2, 500*time.Millisecond)
	wg.Wait()
	waitFor(t, 270*time.Second, "stage 1", func() bool { return stage1Drained(t, js, names) })
	got := waitAlerts(t, js, names, len(want), 180*time.Second)
	logParked(t, js, names)
	require.Equal(t, want, dedupe(got), "alert ids: serve vs run")
	require.Len(t, got, len(want), "duplicate alerts in the stream")
}

// freePorts finds n free ports on 127.0.0.1 (closed again: a server may take one first, then
// the test fails to start rather than flakes silently).
func freePorts(t *testing.T, n int) []int {
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return ports
}
