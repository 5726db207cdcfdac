package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/alertfmt"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/hints"
	"github.com/stixcel/stixcel/internal/bounded"
	"github.com/stixcel/stixcel/internal/outfile"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
)

// maxHuntLines caps the analytics the hunt summary lists; the total counts them all.
const maxHuntLines = 10

type runFlags struct {
	compile   compileFlags
	plansFile string
	bundles   []string
	hunt      bool
	strict    bool
	source    string
	workers   int
	rejects   string
	maxGroups int
	maxState  int64
	maxHeld   int64
	maxIter   int
	lateness  time.Duration
	maxAhead  time.Duration
	idleFlush time.Duration
	format    string
	outFormat alertfmt.Format // format, checked
}

func (c *cli) runCommand() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [EVENTS.jsonl ... | -]",
		Short: "Evaluate plans over JSONL events and print alerts",
		Long: `Evaluate plans over normalized JSONL events (one object per line with "time" and
"log_source") and print alerts: one JSON object per line (--format json), a block per alert
for people (--format text; coloured on a terminal), or STIX 2.1 sightings (--format stix: one
bundle at the end of the run, or one object per line when reading stdin). Plans come from
--plans, or are compiled from --bundle and the packs; with neither, the built-in pack runs on
the embedded seed bundle. With no events file, events are read from stdin.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.run(args, &f)
		},
	}
	f.compile.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.plansFile, "plans", "", "run the compiled plan artifact `FILE`")
	addBundleFlag(cmd, &f.bundles)
	fl.BoolVar(&f.hunt, "hunt", false, "also print selector-plan matches as hunt records")
	fl.BoolVar(&f.strict, "strict", false, "stop at the first bad event line (exit 2)")
	fl.IntVar(&f.maxGroups, "max-groups", runtime.DefaultMaxGroups, "keep at most `N` live group keys per plan; the least recently active are evicted (their open alerts written first) and counted")
	fl.Int64Var(&f.maxState, "max-state", runtime.DefaultMaxState, "keep correlation state under `BYTES` in all (long group values count by digest and prefix); the least recently active groups are evicted (their open alerts written first) and counted")
	fl.Int64Var(&f.maxHeld, "max-held", event.DefaultMaxHeld, "hold at most `BYTES` of events waiting for the lateness; past it the oldest run early (counted, and results may then depend on arrival order)")
	fl.IntVar(&f.maxIter, "max-iterations", runtime.DefaultMaxIterations, "cut off an evaluation after `N` comprehension iterations (counted as no match)")
	fl.StringVar(&f.rejects, "rejects", "", "write rejected lines verbatim to `FILE` for replay")
	fl.DurationVar(&f.lateness, "lateness", event.DefaultLateness, "how far out of event-time order each input may be; older events are rejected as late")
	fl.DurationVar(&f.maxAhead, "max-ahead", event.DefaultMaxAhead, "reject events more than this `DURATION` ahead of their input's latest time")
	fl.DurationVar(&f.idleFlush, "idle-flush", 0, "after `DURATION` of silence on stdin, run the events held for the lateness and write the open alerts (results then depend on timing)")
	fl.IntVar(&f.workers, "workers", goruntime.NumCPU(), "evaluate on `N` goroutines, sharded by plan and group key (alerts are identical to one worker)")
	fl.StringVar(&f.format, "format", string(alertfmt.JSON), "write alerts as `json|text|stix` (stix: one bundle at the end, one object per line when reading stdin)")
	fl.StringVar(&f.source, "source", "", "map raw events with source profile `NAME|FILE.yaml` (built-in: "+strings.Join(source.Builtins(), ", ")+")")
	return cmd
}

func (c *cli) run(args []string, f *runFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	if err := checkEventFiles(args); err != nil {
		return err
	}
	// Watch for signals first: reading the plans may block on a FIFO (--plans, --bundle,
	// --params) or take long on a large bundle, and a signal must still stop the run.
	ctx, stop := signalContext(context.Background())
	defer stop()
	prep, err := untilStopped(ctx, "while loading plans", func() (*prepared, error) { return c.prepareRun(f) })
	if err != nil {
		return err
	}
	eng, profile, hints := prep.eng, prep.profile, prep.hints
	if len(args) == 0 {
		args = []string{"-"}
	}
	rejects, err := openRejects(f.rejects, c.inputsOf(args, f.bundles, f.compile.packs,
		files(f.plansFile, f.compile.params, f.compile.taxonomy, sourceFile(f.source))))
	if err != nil {
		return err
	}
	defer rejects.Abort() // a run that stops before reading leaves the previous file
	out, err := newAlertWriter(c.stdout, f.outFormat, alertfmt.Options{Color: colorOn(c.stdout), Stream: slices.Contains(args, "-")})
	if err != nil {
		return inputErr(err)
	}
	bars := newProgress(c.stderr)
	opened, err := pump.Open(ctx, args, pump.OpenOptions{Stdin: c.stdin, IdleFlush: f.idleFlush, Track: bars.track})
	if err != nil {
		return openError(ctx, err)
	}
	defer opened.Close()
	sum, err := pump.Run(ctx, opened.Inputs, f.pumpOptions(profile, rejects, c.stderr), runHandler(eng, hints, out.emit))
	if err != nil {
		err = inputErr(err)
	}
	bars.wait()
	// Every exit path (end of input, an error, --strict, a signal) writes the alerts found.
	eng.Flush(out.emit)
	if ferr := out.flush(); err == nil {
		err = ferr
	}
	if rerr := rejects.Close(); err == nil && rerr != nil {
		err = inputErr(fmt.Errorf("--rejects: %w", rerr))
	}
	c.printSummary(sum, eng, f)
	hints.Write(c.stderr)
	if err == nil {
		if err = pump.NothingProcessed(sum.Stats); err != nil {
			err = inputErr(err)
		}
	}
	if sig := stoppedBy(ctx); sig != nil {
		fmt.Fprintf(c.stderr, "stopped by %v\n", sig)
		return &exitError{code: signalExitCode(sig), err: fmt.Errorf("stopped by %v", sig)}
	}
	return err
}

// openError is the error of inputs that could not be opened: a stop by a signal while
// waiting on one (a FIFO without a writer), or an input error.
func openError(ctx context.Context, err error) error {
	var oe *pump.OpenError
	if errors.As(err, &oe) {
		if serr := stopError(ctx, "while opening "+oe.Name); serr != nil {
			return serr
		}
	}
	return inputErr(err)
}

// runHandler evaluates the pumped events with eng, noting what the hints need; an idle
// input's pause writes the open alerts, so that a live stream's consumer does not wait for
// the next event to see them.
func runHandler(eng *runtime.Engine, h *hints.Hints, emit func(runtime.Output)) pump.Handler {
	return pump.Handler{
		Event: func(ctx context.Context, ev *event.Event) error {
			h.Processed(ev)
			return eng.Process(ctx, ev, emit)
		},
		Rejected: func(_ context.Context, rej *event.Rejection) error {
			h.Rejected(rej)
			return nil
		},
		Idle: func(context.Context) error {
			eng.Flush(emit)
			return nil
		},
	}
}

// pumpOptions are the options of the run's event pump.
func (f *runFlags) pumpOptions(profile *source.Profile, rejects *pump.RejectsFile, messages io.Writer) pump.Options {
	opts := pump.Options{Decoder: decoderOf(profile), Strict: f.strict, Messages: messages,
		Merge: event.MergeOptions{Lateness: f.lateness, MaxAhead: f.maxAhead, MaxHeld: f.maxHeld}}
	if rejects != nil {
		opts.Rejects = rejects
	}
	return opts
}

// decoderOf returns the decoders of the inputs: normalized events (nil), or raw events mapped
// by the source profile (a decoder per input: it is not safe for concurrent use).
func decoderOf(profile *source.Profile) func() event.Decoder {
	if profile == nil {
		return nil
	}
	return func() event.Decoder { return source.NewDecoder(profile) }
}

// check refuses flag values that cannot work, before anything is read, and sets outFormat.
func (f *runFlags) check() error {
	format, err := alertfmt.Parse(f.format)
	if err != nil {
		return inputErr(fmt.Errorf("--format: %w", err))
	}
	f.outFormat = format
	switch {
	case format == alertfmt.STIX && f.hunt:
		return inputErr(fmt.Errorf("--format stix --hunt: %w", alertfmt.ErrHuntSTIX))
	case f.workers < 1:
		return inputErr(fmt.Errorf("--workers %d: want at least 1", f.workers))
	case f.maxHeld < 1:
		return inputErr(fmt.Errorf("--max-held %d: want at least 1 byte", f.maxHeld))
	case f.lateness < 0 || f.maxAhead < 0:
		return inputErr(fmt.Errorf("--lateness %s, --max-ahead %s: want durations of zero or more", f.lateness, f.maxAhead))
	}
	return nil
}

// prepared is what a run needs before it reads events: the engine with its plans, the source
// profile (nil for normalized events) and the run's hints.
type prepared struct {
	eng     *runtime.Engine
	profile *source.Profile
	hints   *hints.Hints
}

// prepareRun reads or compiles the plans, builds the engine and loads the source profile,
// with the garbage collector relaxed (relaxGC).
func (c *cli) prepareRun(f *runFlags) (*prepared, error) {
	defer relaxGC()()
	set, hints, err := c.runPlans(f)
	if err != nil {
		return nil, err
	}
	eng, err := runtime.New(set, runtime.WithHunt(f.hunt), runtime.WithWorkers(f.workers),
		runtime.WithMaxGroups(f.maxGroups), runtime.WithMaxState(f.maxState), runtime.WithMaxIterations(f.maxIter))
	if err != nil {
		return nil, inputErr(err)
	}
	profile, err := loadSourceProfile(f.source)
	if err != nil {
		return nil, inputErr(err)
	}
	return &prepared{eng: eng, profile: profile, hints: hints}, nil
}

// loadGCPercent is the garbage collector's target (GOGC) while a run loads its plans.
// Building the engine allocates about 65 MB for the enterprise plans, most of it parse
// trees dropped at once, while the heap is still small: at the default of 100 the collector
// runs a cycle every few MB and takes a third of the start-up. At 800 it runs a few (the
// peak resident size of a run of the enterprise plans grows from about 45 to 66 MB; 400 saves
// 10 MB of it but is 15% slower), then the run goes on at the setting it had.
const loadGCPercent = 800

// gcRelax counts the loads in progress (tests run several at once), so that the setting
// they found is restored once the last ends.
var gcRelax struct {
	sync.Mutex
	loads int
	prior int
}

// relaxGC raises the collector's target to loadGCPercent, unless GOGC asks for more (or
// turns it off), until the returned function is called.
func relaxGC() (restore func()) {
	gcRelax.Lock()
	defer gcRelax.Unlock()
	if gcRelax.loads == 0 {
		gcRelax.prior = debug.SetGCPercent(loadGCPercent)
		if gcRelax.prior < 0 || gcRelax.prior > loadGCPercent {
			debug.SetGCPercent(gcRelax.prior)
		}
	}
	gcRelax.loads++
	return func() {
		gcRelax.Lock()
		defer gcRelax.Unlock()
		if gcRelax.loads--; gcRelax.loads == 0 {
			debug.SetGCPercent(gcRelax.prior)
		}
	}
}

// alertWriter writes outputs in the run's format through one buffer and keeps the first
// error.
type alertWriter struct {
	w   *bufio.Writer
	out alertfmt.Writer
	err error
}

func newAlertWriter(w io.Writer, f alertfmt.Format, opts alertfmt.Options) (*alertWriter, error) {
	bw := bufio.NewWriter(w)
	out, err := alertfmt.New(f, bw, opts)
	if err != nil {
		return nil, err
	}
	return &alertWriter{w: bw, out: out}, nil
}

// emit writes o. An alert is flushed at once, so that a consumer of a live stream (a pipe)
// sees it when its window closes, not when a buffer fills; hunt records, which come by the
// thousand, are written as the buffer fills.
func (a *alertWriter) emit(o runtime.Output) {
	if err := a.out.Write(o); err != nil && a.err == nil {
		a.err = err
	}
	if _, isAlert := o.(*runtime.Alert); isAlert && a.err == nil {
		a.err = a.w.Flush()
	}
}

// flush writes what the format keeps for the end (a STIX bundle) and flushes the buffer.
func (a *alertWriter) flush() error {
	if err := a.out.Close(); err != nil && a.err == nil {
		a.err = err
	}
	if err := a.w.Flush(); err != nil {
		return err
	}
	return a.err
}

// colorOn reports whether text written to w may be coloured: w is a terminal and NO_COLOR
// (https://no-color.org) is unset.
func colorOn(w io.Writer) bool {
	return isTerminal(w) && os.Getenv("NO_COLOR") == ""
}

// runPlans returns the plans to run, a compiled artifact or a compilation of the inputs, and
// the run's hints.
func (c *cli) runPlans(f *runFlags) (*plan.Set, *hints.Hints, error) {
	if f.plansFile == "" {
		l, set, err := c.compileLoaded(f.compile.inputs(f.bundles), "")
		var packs []*pack.Pack
		if l != nil {
			packs = l.AllPacks()
		}
		return set, hints.New(packs, set, f.source == ""), err
	}
	if len(f.bundles) > 0 || len(f.compile.packs) > 0 || f.compile.params != "" {
		return nil, nil, inputErr(errors.New("--plans runs a compiled artifact: give --bundle, --pack and --params to compile instead"))
	}
	data, err := bounded.ReadFile(f.plansFile, bounded.MaxArtifactSize, "plan artifact",
		bounded.NewJSON(f.plansFile, bounded.MaxJSONDepth).Write)
	if err != nil {
		return nil, nil, inputErr(err)
	}
	runnable := func(k plan.Kind, huntSource bool) bool { return plan.Runs(k, huntSource, f.hunt) }
	set, err := plan.ParseRunnable(data, runnable)
	if err != nil {
		return nil, nil, inputErr(fmt.Errorf("%s: %w", f.plansFile, err))
	}
	return set, hints.New(nil, set, f.source == ""), nil
}

func (c *cli) printSummary(s pump.Summary, eng *runtime.Engine, f *runFlags) {
	st := eng.Stats()
	fmt.Fprintf(c.stderr, "%s; %d alerts, %d hunt records\n", s, st.Alerts, st.Hunts)
	if f.hunt {
		c.printHunts(st)
	}
	if st.Evicted > 0 {
		var by []string
		for _, e := range st.EvictedBy {
			by = append(by, fmt.Sprintf("%s: %d", e.Analytic, e.Count))
		}
		fmt.Fprintf(c.stderr, "%d group keys evicted past --max-groups (%s)\n", st.Evicted, strings.Join(by, ", "))
	}
	if st.StateEvicted > 0 {
		fmt.Fprintf(c.stderr, "%d groups evicted to keep state under %s (--max-state); peak %s\n",
			st.StateEvicted, mib(f.maxState), mib(st.PeakState))
	}
	if s.Forced > 0 {
		fmt.Fprintf(c.stderr, "%d events run before their lateness had passed, to hold under %s of events (--max-held): results may depend on arrival order\n",
			s.Forced, mib(f.maxHeld))
	}
	if st.Abandoned > 0 {
		fmt.Fprintf(c.stderr, "%d events left unevaluated: the run was stopping (evaluation goes on for %s after a signal)\n",
			st.Abandoned, runtime.StopGrace)
	}
	if st.CutOffs > 0 {
		fmt.Fprintf(c.stderr, "%d evaluations cut off past --max-iterations\n", st.CutOffs)
	}
	if st.TooLong > 0 {
		fmt.Fprintf(c.stderr, "%d evaluations skipped: the event's strings were longer than the expression's cost limit affords\n", st.TooLong)
	}
	if st.EvalErrors > 0 {
		fmt.Fprintf(c.stderr, "%d evaluations failed and counted as no match:\n", st.EvalErrors)
		for _, e := range st.ErrorsBy {
			fmt.Fprintf(c.stderr, "  analytic %s %s: %d (e.g. %s)\n", e.Analytic, e.Channel, e.Count, e.Example)
		}
	}
}

// printHunts lists the analytics with the most hunt records, then the total.
func (c *cli) printHunts(st runtime.Stats) {
	n := len(st.HuntsBy)
	if n > maxHuntLines {
		fmt.Fprintf(c.stderr, "hunt records by analytic (top %d of %d):\n", maxHuntLines, n)
	} else if n > 0 {
		fmt.Fprintln(c.stderr, "hunt records by analytic:")
	}
	for _, h := range st.HuntsBy[:min(n, maxHuntLines)] {
		fmt.Fprintf(c.stderr, "  %-8s %d\n", h.Analytic, h.Count)
	}
	fmt.Fprintf(c.stderr, "hunt total: %d %s from %d %s\n", st.Hunts, plural(int(st.Hunts), "record", "records"),
		n, plural(n, "analytic", "analytics"))
}

// mib formats a byte count in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sourceFile is the file --source names, or "" for a built-in profile.
func sourceFile(name string) string {
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		return name
	}
	return ""
}

// loadSourceProfile resolves --source: a built-in profile name or a profile YAML file.
func loadSourceProfile(name string) (*source.Profile, error) {
	switch {
	case name == "":
		return nil, nil
	case strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml"):
		data, err := bounded.ReadFile(name, bounded.MaxYAMLSize, "YAML", nil)
		if err != nil {
			return nil, fmt.Errorf("--source: %w", err)
		}
		return source.Load(name, data)
	default:
		return source.Builtin(name)
	}
}

// openRejects opens the --rejects file, or returns nil.
func openRejects(name string, inputs *outfile.Inputs) (*pump.RejectsFile, error) {
	if name == "" {
		return nil, nil
	}
	f, err := createOutput("--rejects", name, inputs)
	if err != nil {
		return nil, err
	}
	return pump.NewRejectsFile(f), nil
}
