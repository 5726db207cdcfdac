package runtime

import (
	"context"
	"sync/atomic"
	"time"
)

// DefaultMaxContributors is how many contributing events an alert cites per channel.
const DefaultMaxContributors = 10

// Option configures an Engine.
type Option func(*config)

// config is what the options set; New fills in the defaults.
type config struct {
	hunt            bool
	maxContributors int
	workers         int
	maxIterations   int
	maxGroups       int
	maxState        int64
	plainCEL        bool // tests: no specializer
	noRouting       bool // tests: every channel in the catch-all, every selector evaluated
	noCostCheck     bool // tests: no estimate check, the runtime limit alone
	noCandidates    bool // every reached channel evaluated, without the candidate index
	noCorrelation   bool // Process skips plans with a condition (WithCorrelation)
	eagerForms      bool // tests: every parsed form checked and planned by New, none lazily
	// learned, when set (tests), is told what the build learned of each channel expression
	// (programCache.learned), on the goroutine that compiles plans in order.
	learned func(key string, ce *checkedExpr)
	// buildWorkers is how many goroutines New compiles plans on (0: GOMAXPROCS); the
	// engine is the same with any number (tests compare 1 with more).
	buildWorkers int
	// stop says when shards leave their work: StopGrace after the context of Process ended.
	stop      *stopper
	stopGrace time.Duration
}

// StopGrace is how long evaluation goes on once the context given to Process has ended
// (a signal): events already handed over are still evaluated for that long, so that a
// stopped stream still gets the alerts of what it read; then every worker leaves its event
// at the next plan, and Stats.Abandoned counts what was left.
const StopGrace = 500 * time.Millisecond

// stopper tells shards, which read it concurrently, that the run is stopping. Each watched
// context has a generation; the run is stopping once its generation's stop has come, so a
// context left behind by a later Process call stops nothing.
type stopper struct {
	current atomic.Int64 // the generation of the context watched now
	stopped atomic.Int64 // the last generation whose stop came
}

func (s *stopper) stopping() bool { return s.stopped.Load() == s.current.Load() }

// watch makes the end of ctx, after grace, stop the run; the returned function stops
// watching.
func (s *stopper) watch(ctx context.Context, grace time.Duration) (unwatch func() bool) {
	gen := s.current.Add(1)
	return context.AfterFunc(ctx, func() {
		time.AfterFunc(grace, func() { s.stopped.Store(gen) })
	})
}

// withBuildWorkers sets how many goroutines New compiles plans on (tests).
func withBuildWorkers(n int) Option { return func(c *config) { c.buildWorkers = n } }

// WithCandidateIndex turns the candidate index on (the default) or off. With it, a channel
// whose selector or predicate needs literals in event fields (`event.F.contains('x')`,
// Sigma's modifiers, a regular expression's required literal) is evaluated only on events
// whose fields hold one of them, found in one pass per field; results and Stats are the
// same either way. Off, every channel an event reaches is evaluated (tests compare both).
func WithCandidateIndex(on bool) Option { return func(c *config) { c.noCandidates = !on } }

// WithHunt makes selector plans emit a Hunt record per event and matching channel; without
// it selector plans are not evaluated.
func WithHunt(on bool) Option { return func(c *config) { c.hunt = on } }

// WithMaxContributors sets how many events an alert cites per channel (default 10; n < 0
// means 0).
func WithMaxContributors(n int) Option {
	return func(c *config) { c.maxContributors = max(n, 0) }
}

// WithWorkers evaluates on n goroutines (default 1; n < 1 means 1). Outputs are the same,
// in the same order, as with one worker. With n > 1, Process hands events over in batches
// of 512: emit is called for a batch's outputs during a later Process or Flush, and events
// must not be changed after Process.
func WithWorkers(n int) Option {
	return func(c *config) { c.workers = max(n, 1) }
}

// DefaultMaxGroups is how many correlation groups (live group keys) a plan holds at most by
// default. An idle group takes about 500 bytes, plus its matches in the window.
const DefaultMaxGroups = 100_000

// WithMaxGroups caps the correlation groups each plan holds (default DefaultMaxGroups; n < 1
// means 1), so that a stream of distinct group keys cannot exhaust memory. The cap is
// enforced after every 512th event: the plan's least recently matched groups beyond it are
// evicted, an open alert of an evicted group is emitted first (with the evidence it has),
// and Stats counts the evictions. Between two checks a plan may exceed the cap by at most 512
// groups. Evictions, and so alerts, are the same with any number of workers.
func WithMaxGroups(n int) Option {
	return func(c *config) { c.maxGroups = max(n, 1) }
}

// DefaultMaxIterations is how many comprehension iterations (macros such as exists, all,
// map and filter, counting every level of nesting) one evaluation of one expression may run
// before it is cut off. The built-in pack's comprehensions run over parameter lists of a few
// dozen items; a cut-off costs at most a few milliseconds (6 ms for a six-deep nested map,
// whose iterations build lists), so 1,000 hostile events take seconds, not hours.
const DefaultMaxIterations = 5_000

// WithMaxIterations sets how many comprehension iterations one evaluation may run (default
// DefaultMaxIterations; n < 1 means 1). An evaluation that would run more is cut off: it
// fails with "cost limit exceeded: ..." (counted as false, in Stats.EvalErrors and
// EvalErrors.CutOff) unless the rest of the expression decides the result without it
// (`false && x`, `true || x`). A cut-off never changes a result, it turns it into an error;
// the count is the same with any number of workers.
func WithMaxIterations(n int) Option {
	return func(c *config) { c.maxIterations = max(n, 1) }
}

// DefaultMaxState is the default budget of correlation state, in bytes: 256 MiB holds about
// 500,000 idle groups (an idle group with a short key and one match takes about 480 bytes),
// more than the built-in pack's devices and hosts on any one machine's stream, and keeps
// the process (with the lines in flight) well under 1 GB on a small machine.
const DefaultMaxState = 256 << 20

// WithMaxState sets the budget of correlation state of all plans together, in bytes
// (default DefaultMaxState; n < 1 means 1). Groups are counted by their approximate memory:
// key and values, each channel's matches in the window (with their series index), and an
// open alert's counts and contributing events (at most WithMaxContributors per channel; the
// counts stay exact). A group never holds a long value: a string (or an object's or
// array's JSON text) longer than 256 bytes is keyed by its SHA-256 and shown in alerts by
// its first 256 bytes, its length and digest, so an event adds at most about 4 KiB per plan
// it reaches with one group_by and one series_by field.
//
// The budget is checked where the group cap is, after every 512th event of the stream
// (checking at every insertion would make the evictions depend on how groups are spread
// over workers): while the state exceeds it, the least recently matched group of any plan is
// evicted, its open alert emitted first with the evidence it has, and Stats counts it
// (StateEvicted, PeakState). Between two checks the state grows by at most 512 events × the
// plans one event reaches × about 4 KiB (2 MiB per plan), so memory stays within the budget
// plus that margin. One group's window is bounded the same way: when it alone exceeds the
// budget it is evicted. Evictions, and so alerts, are the same with any number of workers.
func WithMaxState(n int64) Option {
	return func(c *config) { c.maxState = max(n, 1) }
}
