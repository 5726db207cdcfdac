package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/serve"
)

// natsServer starts a JetStream server on 127.0.0.1 for one test.
func natsServer(t *testing.T) string {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second))
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL()
}

// TestPublishServeAlerts publishes the demo with the CLI, serves it with the serve package,
// and reads the alerts with the CLI: the lines run prints, byte for byte.
func TestPublishServeAlerts(t *testing.T) {
	url := natsServer(t)
	want := runCLI(t, nil, "run", "testdata/events/demo.jsonl")
	require.Equal(t, 0, want.code, want.stderr)
	pub := runCLI(t, nil, "publish", "testdata/events/demo.jsonl", "--nats", url)
	require.Equal(t, 0, pub.code, pub.stderr)
	assert.Contains(t, pub.stderr, "published 88 events from 88 lines of 1 file; 0 rejected")

	nc, err := nats.Connect(url)
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	set, _, err := stixcel.Inputs{}.Compile()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = (&serve.Stage1{JS: js, Set: set}).Run(ctx) })
	wg.Go(func() { _ = (&serve.Stage2{JS: js, Set: set, IdleFlush: 200 * time.Millisecond}).Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	var got result
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if got = runCLI(t, nil, "alerts", "--nats", url); got.stdout != "" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	assert.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, want.stdout, got.stdout)
}

func TestServeFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"stage", []string{"serve", "--stage", "3"}, `--stage "3": want 1, 2 or both`},
		{"publish without files", []string{"publish"}, "requires at least 1 arg"},
		{"alerts with args", []string{"alerts", "x"}, "unknown command"},
		{"no line per message", []string{"publish", "testdata/events/demo.jsonl", "--batch-lines", "0"}, "--batch-lines 0, --batch-bytes 1048576: want 1 or more"},
		{"no message in flight", []string{"serve", "--in-flight", "0"}, "--in-flight 0: want 1 or more"},
		{"no stage-1 worker", []string{"serve", "--workers", "0"}, "--workers 0: want 1 or more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			assert.Equal(t, 2, r.code)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
}

// TestServeDrain stops a serve process with SIGTERM once it owns every partition: it exits
// 0 within the fetch wait, with its counts, and releases its leases at once.
func TestServeDrain(t *testing.T) {
	url := natsServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0]) // a hang fails the test, not CI
	cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join([]string{"serve", "--nats", url, "--lease", "30s"}, "\x1f"))
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	owned := func() int {
		kv, err := js.KeyValue(ctx, "stixcel_owners")
		if err != nil {
			return 0
		}
		n := 0
		for p := range 4 {
			if _, err := kv.Get(ctx, "p"+string(rune('0'+p))); err == nil {
				n++
			}
		}
		return n
	}
	for owned() < 4 {
		require.NoError(t, ctx.Err(), "serve never owned its partitions; stderr:\n%s", stderr.String())
		time.Sleep(50 * time.Millisecond)
	}
	stopped := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), stderr.String())
	assert.Less(t, time.Since(stopped), 5*time.Second)
	assert.Contains(t, stderr.String(), "serve stopped: 0 events")
	assert.Zero(t, owned(), "leases released on drain (a standby need not wait 30s)")
}
