// Package serve runs stixcel plans continuously on NATS JetStream (docs/scale-out.md): it publishes
// event files to an input stream, evaluates them in two stages and publishes alerts to an
// alert stream, with every result a function of the events alone.
//
// Streams (names and subjects derive from Names.Prefix, "stixcel" by default):
//
//	<P>_EVENTS   <p>.events, <p>.events.>      event lines; headers Stixcel-Source, Stixcel-Line
//	<P>_MATCHES  <p>.matches.*.*  stored as    <p>.part.<n>.<plan>.<key> by the subject
//	             transform partition(N,1,2): one partition per (plan, group key) hash
//	<P>_ALERTS   <p>.alerts                    alert JSON (alertfmt), Nats-Msg-Id = alert id
//	<P>_REJECTS  <p>.rejects                   bad or late lines, parked with a reason header
//	KV <p>_owners                              one lease per partition (stage 2 ownership)
//
// Stage 1 (Stage1, any number of instances on one shared durable pull consumer) decodes each
// event line with the source profile and evaluates it with a runtime.Engine built
// WithCorrelation(false): plans without a condition alert at once; for each plan with a
// condition whose channel matches (Engine.Matches) the line is published to
// <p>.matches.<plan>.<key hash>, with Nats-Msg-Id "<input seq>.<plan>" so that a redelivered
// event cannot enter a window twice. An input message is acked only after every message it
// produced is stored (its PubAck came back).
//
// Stage 2 (Stage2) owns partitions: a worker holds partition n while it holds the KV key
// "p<n>" (created atomically, renewed within the bucket's TTL; a standby takes the key when
// it expires). An owner starts a fresh engine and replays its partition from the start of
// the matches stream (retention MaxAge, the replay horizon), reorders it by event time
// (event.Compare, the order of `stixcel run`) within the lateness, and feeds each match to
// Engine.ProcessPlan for its plan only, so each (plan, group key) sees exactly the events it
// sees in `run`. Alerts are published with their id as Nats-Msg-Id into a stream whose
// duplicate window is at least the replay horizon: a replay after a failover republishes
// alerts that JetStream drops as duplicates.
package serve
