package natsconn

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReconnectDelay(t *testing.T) {
	tests := []struct {
		attempts int
		want     time.Duration
	}{
		{1, 250 * time.Millisecond},
		{4, time.Second},
		{40, MaxReconnectDelay},
		{1000, MaxReconnectDelay},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, ReconnectDelay(tc.attempts), "attempt %d", tc.attempts)
	}
}

func TestConnect(t *testing.T) {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second), "nats server not ready")
	defer func() { s.Shutdown(); s.WaitForShutdown() }()

	nc, js, err := Connect(s.ClientURL(), "stixcel test")
	require.NoError(t, err)
	defer nc.Close()
	assert.Equal(t, "stixcel test", nc.Opts.Name)
	assert.Equal(t, -1, nc.Opts.MaxReconnect, "reconnects forever")
	assert.True(t, nc.Opts.RetryOnFailedConnect)
	_, err = js.AccountInfo(context.Background())
	assert.NoError(t, err, "JetStream answers")
}

func TestConnectRefusesABadURL(t *testing.T) {
	_, _, err := Connect("nats://%zz", "stixcel test")
	assert.Error(t, err)
}
