// Package serve runs stixcel plans continuously on NATS JetStream (docs/scale-out.md): it publishes
// event files to an input stream, evaluates them in two stages and publishes alerts to an
// alert stream, with every result a function of the events alone.
//
// Streams (names and subjects derive from Names.Prefix, "stixcel" by default):
//
//	<P>_EVENTS   <p>.events, <p>.events.>      one or more event lines a message; headers Stixcel-Source, Stixcel-Line
//	<P>_MATCHES  <p>.matches.*.*  stored as    <p>.part.<n>.<plan>.<key> by the subject
//	             transform partition(N,1,2): one partition per (plan, group key) hash
//	<P>_ALERTS   <p>.alerts                    alert JSON (alertfmt), Nats-Msg-Id = alert id
//	<P>_REJECTS  <p>.rejects                   bad, out-of-range or late lines, parked with a reason header
//	KV <p>_owners                              one lease per partition (stage 2 ownership)
//
// A message of the events stream holds one event line, or several separated by newlines (a
// final newline ends the last), or one JSON array of records as Fluent Bit's NATS output
// sends them (objects, or [time, object] pairs). Stixcel-Source and Stixcel-Line give each
// line's file and line (HeaderLine says how); without them a line is cited by the message's
// stream sequence, and by its line in the message when the message holds several. Publish
// packs lines into messages of up to PublishOptions.MaxLines lines, each with a Nats-Msg-Id
// of its first file:line and line count, so that publishing the same files again stores
// nothing twice.
//
// Stage 1 (Stage1, any number of instances on one shared durable pull consumer) decodes each
// event line with the source profile and evaluates it in one pass (runtime.Engine.Split,
// which never feeds correlation), the lines of a message side by side on Stage1.Workers
// goroutines with engines forked from one build (Build), what they give published in the
// order of the lines: plans without a condition alert at once; for each
// plan with a condition whose channel matches the line is published to
// <p>.matches.<plan>.<key hash>, with Nats-Msg-Id "<input seq>[.<line index>].<plan>" so
// that a redelivered message cannot put an event in a window twice. An input message is
// acked only after every message its lines produced is stored (its PubAck came back); a bad
// line is parked and the message's other lines go on. The instances share Stage1.InFlight
// unacked messages, one by default: the stream is evaluated in its order whichever instance
// takes each message, and a crashed instance's message comes again before any later one.
//
// Nothing blocks a stream. A line stage 1 cannot read, or whose time is out of range (`run`'s
// rule: before 1970, or more than MaxAhead after the reference; the reference here is when
// the events stream stored the line, carried to stage 2 in the Stixcel-Stored header, so that
// every delivery and replay gives one verdict), is parked on the rejects subject with its
// reason and counted, and moves no clock. A parked message is cut to the server's maximum
// payload (Stixcel-Size then gives the line's full size); a match or an alert that the
// maximum payload leaves no room for is parked as ReasonTooLarge.
//
// Stage 2 (Stage2) owns partitions: a worker holds partition n while it holds the KV key
// "p<n>" (created atomically, renewed within the bucket's TTL; a standby takes the key when
// it expires). An owner starts a fresh engine and replays its partition from the start of
// the matches stream (retention MaxAge, the replay horizon), reorders it by event time
// (event.Compare, the order of `stixcel run`) within the lateness, holding at most MaxHeld
// bytes (`run`'s budget, per partition: past it the oldest are released early and counted,
// as run counts them), and feeds each match to Engine.ProcessPlan for its plan only, so each
// (plan, group key) sees exactly the events it sees in `run`. A worker builds the engine of
// the correlated plans once, for the first partition it takes, unless it shares a Build with
// stage 1 in one process (both stages then fork one build of the plans); each partition's
// engine is a fork, with state of its own. Alerts are published with their
// id as Nats-Msg-Id into a stream whose duplicate window is at least the replay horizon: a
// replay after a failover republishes alerts that JetStream drops as duplicates.
package serve
