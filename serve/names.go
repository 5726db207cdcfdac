package serve

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Names are the streams, subjects and bucket of one deployment, derived from a prefix.
type Names struct {
	Prefix     string        // subject prefix and (upper-cased) stream name prefix; default "stixcel"
	Partitions int           // stage-2 partitions of the matches stream; default 4
	Replicas   int           // stream replicas (3 in a 3-server cluster); default 1
	Horizon    time.Duration // replay horizon: matches MaxAge, alert duplicate window; default 24h
	LeaseTTL   time.Duration // how long a partition stays owned without renewal; default 10s
}

// withDefaults fills in the zero fields.
func (n Names) withDefaults() Names {
	if n.Prefix == "" {
		n.Prefix = "stixcel"
	}
	if n.Partitions < 1 {
		n.Partitions = 4
	}
	if n.Replicas < 1 {
		n.Replicas = 1
	}
	if n.Horizon <= 0 {
		n.Horizon = 24 * time.Hour
	}
	if n.LeaseTTL <= 0 {
		n.LeaseTTL = 10 * time.Second
	}
	return n
}

func (n Names) stream(kind string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(n.Prefix)) + "_" + kind
}

// EventsStream, MatchesStream, AlertsStream and RejectsStream name the streams.
func (n Names) EventsStream() string  { return n.stream("EVENTS") }
func (n Names) MatchesStream() string { return n.stream("MATCHES") }
func (n Names) AlertsStream() string  { return n.stream("ALERTS") }
func (n Names) RejectsStream() string { return n.stream("REJECTS") }

// EventsSubject is where event lines are published.
func (n Names) EventsSubject() string { return n.Prefix + ".events" }

// AlertsSubject is where alerts are published.
func (n Names) AlertsSubject() string { return n.Prefix + ".alerts" }

// RejectsSubject is where bad and late lines are parked.
func (n Names) RejectsSubject() string { return n.Prefix + ".rejects" }

// matchSubject is where stage 1 publishes a match of plan with group key hash key.
func (n Names) matchSubject(plan string, key uint64) string {
	return fmt.Sprintf("%s.matches.%s.%016x", n.Prefix, subjectToken(plan), key)
}

// partitionFilter is the stored subjects of partition p.
func (n Names) partitionFilter(p int) string { return fmt.Sprintf("%s.part.%d.>", n.Prefix, p) }

// stage1Durable is stage 1's shared consumer of the events stream, unless Stage1.Durable
// names another.
func (n Names) stage1Durable() string { return subjectToken(n.Prefix) + "-stage1" }

func (n Names) bucket() string {
	return strings.NewReplacer(".", "_").Replace(n.Prefix) + "_owners"
}

// subjectToken makes s one subject token: characters that end or widen a token become '_'.
func subjectToken(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '.', '*', '>', ' ', '\t', '\r', '\n':
			return '_'
		}
		return r
	}, s)
}

// Setup creates the streams and the owners bucket that are absent, and updates those that
// are there to this configuration (a changed partition count re-partitions new matches
// only: drain stage 2 first).
func Setup(ctx context.Context, js jetstream.JetStream, n Names) error {
	n = n.withDefaults()
	streams := []jetstream.StreamConfig{
		{Name: n.EventsStream(), Subjects: []string{n.EventsSubject(), n.EventsSubject() + ".>"}, Duplicates: 2 * time.Minute},
		{Name: n.MatchesStream(), Subjects: []string{n.Prefix + ".matches.*.*"}, MaxAge: n.Horizon,
			Duplicates: 2 * time.Minute,
			SubjectTransform: &jetstream.SubjectTransformConfig{Source: n.Prefix + ".matches.*.*",
				Destination: fmt.Sprintf("%s.part.{{partition(%d,1,2)}}.{{wildcard(1)}}.{{wildcard(2)}}", n.Prefix, n.Partitions)}},
		{Name: n.AlertsStream(), Subjects: []string{n.AlertsSubject()}, Duplicates: n.Horizon},
		{Name: n.RejectsStream(), Subjects: []string{n.RejectsSubject()}},
	}
	for _, cfg := range streams {
		cfg.Replicas, cfg.Storage = n.Replicas, jetstream.FileStorage
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("serve: stream %s: %w", cfg.Name, err)
		}
	}
	_, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: n.bucket(), TTL: n.LeaseTTL, Replicas: n.Replicas})
	if err != nil {
		return fmt.Errorf("serve: bucket %s: %w", n.bucket(), err)
	}
	return nil
}
