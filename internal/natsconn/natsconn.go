// Package natsconn connects the NATS commands (serve, publish, alerts) to a server, with
// JetStream: a first connection that fails is retried, and a lost one is reconnected
// forever with a growing delay (ReconnectDelay), so that a command outlives a broker
// restart.
package natsconn

import (
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// MaxReconnectDelay caps the delay between reconnection attempts.
const MaxReconnectDelay = 10 * time.Second

// ReconnectDelay is the wait before reconnection attempt number attempts: 250 ms more per
// attempt, at most MaxReconnectDelay.
func ReconnectDelay(attempts int) time.Duration {
	return min(time.Duration(attempts)*250*time.Millisecond, MaxReconnectDelay)
}

// Connect connects to url (comma-separated for a cluster) as client name.
func Connect(url, name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true),
		nats.CustomReconnectDelay(ReconnectDelay))
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}
