package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/stixcel/stixcel/internal/gcload"
	"net"
	"net/http"
	goruntime "runtime"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/serve"
	"github.com/stixcel/stixcel/source"
)

type serveFlags struct {
	run       runFlags // plans, bundles, packs, params, source, limits, lateness
	nats      natsFlags
	stage     string
	metrics   string
	idleFlush time.Duration
	id        string
	inFlight  int
}

func (c *cli) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --nats URL [--plans FILE | --bundle FILE --pack DIR] [--source NAME] [--stage 1|2|both]",
		Short: "Run plans continuously on NATS JetStream (stage 1, stage 2 or both)",
		Long: `Run plans on the event stream of a NATS JetStream server (docs/scale-out.md). Stage 1 (any
number of instances, sharing --in-flight messages of events at a time) evaluates events and
publishes single-event alerts and the matches of correlated plans, partitioned by (plan,
group key); stage 2 owns partitions one worker at a
time (standbys take over when a lease expires, replaying the partition) and keeps the
event-time windows. Alerts carry their stable id as Nats-Msg-Id, so a replay never doubles
them; read them with stixcel alerts. Streams and the owners bucket are created if absent.
SIGINT or SIGTERM drains: the batch in hand is finished and acked, leases are released.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return c.serve(&f) },
	}
	f.run.compile.register(cmd)
	f.nats.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.run.plansFile, "plans", "", "run the compiled plan artifact `FILE`")
	addBundleFlag(cmd, &f.run.bundles)
	fl.StringVar(&f.run.source, "source", "", "map raw events with source profile `NAME|FILE.yaml` (built-in: "+strings.Join(source.Builtins(), ", ")+")")
	fl.StringVar(&f.stage, "stage", "both", "run stage `1|2|both`")
	fl.StringVar(&f.metrics, "metrics", "", "serve Prometheus metrics on http://`ADDR`/metrics, liveness on /healthz and readiness on /readyz (503 until the engines are built)")
	fl.DurationVar(&f.run.lateness, "lateness", event.DefaultLateness, "how far out of event-time order a partition's matches may come; older ones are parked as late")
	fl.DurationVar(&f.run.maxAhead, "max-ahead", event.DefaultMaxAhead, "park events more than this `DURATION` ahead of the time the events stream stored them as out of range")
	fl.Var(newByteSize(&f.run.maxHeld, event.DefaultMaxHeld), "max-held", "hold at most `BYTES` of matches per partition waiting for the lateness; past it the oldest are applied early (counted)")
	fl.DurationVar(&f.idleFlush, "idle-flush", 10*time.Second, "after `DURATION` without matches, a partition emits its open alerts (results then depend on timing; 0: never)")
	fl.IntVar(&f.run.maxGroups, "max-groups", runtime.DefaultMaxGroups, "keep at most `N` live group keys per plan and partition")
	fl.Var(newByteSize(&f.run.maxState, runtime.DefaultMaxState), "max-state", "keep each partition's correlation state under `BYTES`")
	fl.IntVar(&f.run.maxIter, "max-iterations", runtime.DefaultMaxIterations, "cut off an evaluation after `N` comprehension iterations")
	fl.StringVar(&f.id, "id", "", "this worker's `NAME` in the partition leases (default: random)")
	fl.IntVar(&f.run.workers, "workers", goruntime.NumCPU(), "stage 1 evaluates the lines of each message on `N` goroutines (its outputs are the same, in the same order, with any number)")
	fl.IntVar(&f.inFlight, "in-flight", 1, "event messages all stage-1 instances hold unacked at a time, at most `N` (1: the stream's order whatever fails; more: instances in parallel, and a failure may put matches past the lateness)")
	return cmd
}

func (c *cli) serve(f *serveFlags) error {
	if f.stage != "1" && f.stage != "2" && f.stage != "both" {
		return inputErr(fmt.Errorf("--stage %q: want 1, 2 or both", f.stage))
	}
	if f.inFlight < 1 {
		return inputErr(fmt.Errorf("--in-flight %d: want 1 or more", f.inFlight))
	}
	if f.run.workers < 1 {
		return inputErr(fmt.Errorf("--workers %d: want 1 or more", f.run.workers))
	}
	if f.run.maxHeld < 1 || f.run.maxAhead < 0 {
		return inputErr(fmt.Errorf("--max-held %d, --max-ahead %s: want at least 1 byte and a duration of zero or more", f.run.maxHeld, f.run.maxAhead))
	}
	ctx, stop := signalContext(context.Background())
	defer stop()
	set, _, err := c.runPlans(&f.run)
	if err != nil {
		return err
	}
	profile, err := loadSourceProfile(f.run.source)
	if err != nil {
		return inputErr(err)
	}
	nc, js, err := f.nats.connect("stixcel serve")
	if err != nil {
		return inputErr(err)
	}
	defer nc.Close()
	if err := serve.Setup(ctx, js, f.nats.names); err != nil {
		return err
	}
	metrics := &serve.Metrics{}
	metrics.Expect(f.stage != "2", f.stage != "1")
	if err := c.serveMetrics(ctx, f.metrics, metrics); err != nil {
		return inputErr(err)
	}
	opts := []runtime.Option{runtime.WithMaxGroups(f.run.maxGroups), runtime.WithMaxState(f.run.maxState), runtime.WithMaxIterations(f.run.maxIter)}
	defer gcload.Stream(gcload.Headroom)()
	err = c.runStages(ctx, stageWorkers(f, js, set, profile, opts, metrics))
	if derr := nc.Drain(); err == nil && derr != nil && !errors.Is(derr, context.Canceled) {
		err = derr
	}
	fmt.Fprintf(c.stderr, "serve stopped: %d events, %d matches, %d alerts published, %d rejected, %d late, %d out of range, %d applied early (--max-held)\n",
		metrics.EventsIn.Load(), metrics.Matches.Load(), metrics.Alerts.Load(), metrics.Rejected.Load(), metrics.Late.Load(),
		metrics.OutOfRange.Load(), metrics.Forced.Load())
	return err
}

// stageWorkers are the Run functions of the stages --stage selects; both stages fork one
// build of the plans (serve.Build).
func stageWorkers(f *serveFlags, js jetstream.JetStream, set *plan.Set, profile *source.Profile, opts []runtime.Option, m *serve.Metrics) []func(context.Context) error {
	var runs []func(context.Context) error
	var build *serve.Build
	if f.stage == "both" {
		build = &serve.Build{Set: set, Options: opts}
	}
	if f.stage != "2" {
		s1 := &serve.Stage1{JS: js, Names: f.nats.names, Set: set, Profile: profile, Options: opts, MaxAhead: f.run.maxAhead, InFlight: f.inFlight,
			Workers: f.run.workers, Metrics: m, Build: build}
		runs = append(runs, s1.Run)
	}
	if f.stage != "1" {
		s2 := &serve.Stage2{JS: js, Names: f.nats.names, Set: set, Profile: profile, Options: opts,
			Lateness: f.run.lateness, MaxAhead: f.run.maxAhead, MaxHeld: f.run.maxHeld, IdleFlush: f.idleFlush, ID: f.id, Metrics: m, Build: build}
		runs = append(runs, s2.Run)
	}
	return runs
}

// runStages runs the stages until ctx is done; a stage that fails is started again after a
// growing delay (serve.Supervise), so a worker outlives a broker outage.
func (c *cli) runStages(ctx context.Context, runs []func(context.Context) error) error {
	var wg sync.WaitGroup
	for _, run := range runs {
		wg.Go(func() {
			serve.Supervise(ctx, run, func(err error, delay time.Duration) {
				fmt.Fprintf(c.stderr, "serve: %v (again in %s)\n", err, delay)
			})
		})
	}
	wg.Wait()
	return nil
}

// serveMetrics serves the metrics on addr until ctx is done ("" serves nothing).
func (c *cli) serveMetrics(ctx context.Context, addr string, m *serve.Metrics) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--metrics: %w", err)
	}
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	return nil
}
