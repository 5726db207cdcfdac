package main

import (
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/internal/natsconn"
	"github.com/stixcel/stixcel/serve"
)

// natsFlags are the flags of every command that talks to NATS: the server and the names.
type natsFlags struct {
	url   string
	names serve.Names
}

func (f *natsFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.url, "nats", nats.DefaultURL, "NATS server `URL` (comma-separated for a cluster)")
	fl.StringVar(&f.names.Prefix, "prefix", "stixcel", "subject `PREFIX`; streams are named PREFIX_EVENTS, _MATCHES, _ALERTS, _REJECTS")
	fl.IntVar(&f.names.Partitions, "partitions", 4, "stage-2 `N` partitions of the matches stream (fixed per deployment)")
	fl.IntVar(&f.names.Replicas, "replicas", 1, "stream replicas `N` when creating them (3 on a 3-server cluster)")
	fl.DurationVar(&f.names.Horizon, "horizon", 24*time.Hour, "replay horizon: matches are kept and alert ids deduplicated this `DURATION`")
	fl.DurationVar(&f.names.LeaseTTL, "lease", 10*time.Second, "a stage-2 partition changes owner this `DURATION` after its owner stops renewing")
}

// connect connects to NATS as client name (natsconn: reconnecting forever).
func (f *natsFlags) connect(name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, js, err := natsconn.Connect(f.url, name)
	if err != nil {
		return nil, nil, fmt.Errorf("--nats %s: %w", f.url, err)
	}
	return nc, js, nil
}
