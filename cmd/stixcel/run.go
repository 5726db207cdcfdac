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
	"github.com/stixcel/stixcel/internal/bounded"
	"github.com/stixcel/stixcel/internal/outfile"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
)

// maxRejectMessages caps the per-reason rejection messages printed; counts are never capped.
const maxRejectMessages = 10

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
	defer rejects.abort() // a run that stops before reading leaves the previous file
	out, err := newAlertWriter(c.stdout, f.outFormat, alertfmt.Options{Color: colorOn(c.stdout), Stream: slices.Contains(args, "-")})
	if err != nil {
		return inputErr(err)
	}
	rs := &runState{eng: eng, profile: profile, strict: f.strict, emit: out.emit,
		sum: newRunSummary(), bars: newProgress(c.stderr), rejects: rejects, idleFlush: f.idleFlush, hints: hints}
	inputs, err := c.openInputs(ctx, rs, args)
	if err != nil {
		return err
	}
	defer inputs.close()
	merged := event.NewMerger(event.MergeOptions{Lateness: f.lateness, MaxAhead: f.maxAhead, MaxHeld: f.maxHeld}, inputs.readers...)
	stats, err := c.runMerged(ctx, rs, merged, inputs.regular)
	rs.sum.files, rs.sum.stats, rs.sum.forced = len(inputs.readers), stats, merged.Forced()
	rs.bars.wait()
	// Every exit path (end of input, an error, --strict, a signal) writes the alerts found.
	eng.Flush(out.emit)
	if ferr := out.flush(); err == nil {
		err = ferr
	}
	if rerr := rejects.close(); err == nil && rerr != nil {
		err = inputErr(rerr)
	}
	c.printSummary(rs.sum, eng, f)
	rs.hints.write(c.stderr)
	if err == nil {
		err = errNothingProcessed(rs.sum.stats)
	}
	if sig := stoppedBy(ctx); sig != nil {
		fmt.Fprintf(c.stderr, "stopped by %v\n", sig)
		return &exitError{code: signalExitCode(sig), err: fmt.Errorf("stopped by %v", sig)}
	}
	return err
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
	hints   *runHints
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

// runState is what one run carries from file to file.
type runState struct {
	eng     *runtime.Engine
	profile *source.Profile
	strict  bool
	emit    func(runtime.Output)
	sum     *runSummary
	bars    *progress
	rejects *rejectWriter
	hints   *runHints
	// idleFlush is how long stdin may be silent before the run stops waiting (0: forever).
	idleFlush time.Duration
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
func (c *cli) runPlans(f *runFlags) (*plan.Set, *runHints, error) {
	if f.plansFile == "" {
		l, set, err := c.compileLoaded(f.compile.inputs(f.bundles), "")
		return set, newRunHints(l, set, f.source == ""), err
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
	return set, newRunHints(nil, set, f.source == ""), nil
}

// inputs are the opened event inputs of a run, each with its reader.
type inputs struct {
	readers []*event.Reader
	closers []func()
	regular bool // every input is a regular file (not stdin, a FIFO, a device)
}

func (in *inputs) close() {
	for _, c := range in.closers {
		c()
	}
}

// openInputs opens every input ("-": stdin) before any is read, so that a missing file stops
// the run before it starts. Opening stops when ctx is done (a FIFO without a writer), and
// files are closed when ctx is done, so a read blocked on a FIFO returns.
func (c *cli) openInputs(ctx context.Context, rs *runState, names []string) (*inputs, error) {
	in := &inputs{regular: true}
	for _, name := range names {
		in.regular = in.regular && isRegularFile(name)
		r, display, closer, err := c.openInput(ctx, rs, name)
		if err != nil {
			in.close()
			if serr := stopError(ctx, "while opening "+name); serr != nil {
				return nil, serr
			}
			return nil, inputErr(err)
		}
		in.readers = append(in.readers, event.NewReader(r, display, rs.decoder()))
		in.closers = append(in.closers, closer)
	}
	return in, nil
}

func isRegularFile(name string) bool {
	st, err := os.Stat(name)
	return name != "-" && err == nil && st.Mode().IsRegular()
}

// openInput opens one input for reading, with its display name and what closes it.
func (c *cli) openInput(ctx context.Context, rs *runState, name string) (io.Reader, string, func(), error) {
	if name == "-" {
		if _, ok := c.stdin.(*os.File); ok {
			return newLiveReader(ctx, c.stdin, rs.idleFlush), "<stdin>", func() {}, nil
		}
		return c.stdin, "<stdin>", func() {}, nil
	}
	file, err := openFile(ctx, name) // a FIFO blocks here until it has a writer
	if err != nil {
		return nil, "", nil, err
	}
	unwatch := closeOnDone(ctx, file)
	var r io.Reader = file
	if st, err := file.Stat(); err == nil {
		r = rs.bars.track(file, name, st.Size())
	}
	return r, name, func() { unwatch(); _ = file.Close() }, nil
}

// runMerged runs the merged events of every input, in event-time order, until their end, an
// error or until ctx is done, and returns the read counts of what it used. Inputs that are
// all regular files are read ahead, beside the evaluation (see feed).
func (c *cli) runMerged(ctx context.Context, rs *runState, merged *event.Merger, readAhead bool) (event.ReadStats, error) {
	if !readAhead {
		err := c.runItems(ctx, rs, func() (feedItem, bool) { return nextItem(merged), true })
		return merged.Stats(), err
	}
	f := startFeed(merged)
	err := c.runItems(ctx, rs, f.next)
	f.stop()
	stats := merged.Stats()
	f.unread(&stats)
	return stats, err
}

// nextItem is what the Merger gives next, read inline.
func nextItem(merged *event.Merger) feedItem {
	ev, rej, err := merged.Next()
	if errors.Is(err, event.ErrIdle) {
		return feedItem{idle: true, released: merged.Release()}
	}
	return feedItem{ev: ev, rej: rej, err: err}
}

func (c *cli) runItems(ctx context.Context, rs *runState, next func() (feedItem, bool)) error {
	for ctx.Err() == nil {
		item, ok := next()
		switch {
		case !ok || item.err == io.EOF:
			return nil
		case item.err != nil && ctx.Err() != nil:
			return nil // the input was closed to stop the run
		case item.idle:
			if err := c.idle(ctx, rs, item.released); err != nil {
				return nil // stopped: ctx is done
			}
		case item.err != nil:
			return inputErr(item.err)
		case item.rej != nil && rs.strict:
			rs.hints.rejected(item.rej)
			rs.rejects.write(item.rej)
			return inputErr(fmt.Errorf("%s (--strict)", item.rej))
		case item.rej != nil:
			rs.hints.rejected(item.rej)
			rs.sum.reject(c.stderr, item.rej)
			rs.rejects.write(item.rej)
		default:
			rs.hints.processed(item.ev)
			if err := rs.eng.Process(ctx, item.ev, rs.emit); err != nil {
				return nil // stopped: ctx is done
			}
		}
	}
	return nil
}

// idle runs the events the merger released, held for the lateness, and writes every open
// alert: the input has been silent for --idle-flush, and a live stream's consumer should
// not wait for the next event to see them.
func (c *cli) idle(ctx context.Context, rs *runState, released []*event.Event) error {
	for _, ev := range released {
		if err := rs.eng.Process(ctx, ev, rs.emit); err != nil {
			return err
		}
	}
	rs.eng.Flush(rs.emit)
	return nil
}

// decoder returns the decoder of one input: normalized events, or raw events mapped by the
// source profile (a decoder per input: it is not safe for concurrent use).
func (rs *runState) decoder() event.Decoder {
	if rs.profile == nil {
		return nil
	}
	return source.NewDecoder(rs.profile)
}

// runSummary accounts for every line of every file.
type runSummary struct {
	files    int
	stats    event.ReadStats
	forced   int64 // events run before the lateness passed, for --max-held
	messages map[string]int
}

func newRunSummary() *runSummary {
	return &runSummary{stats: event.ReadStats{Rejected: map[string]int64{}}, messages: map[string]int{}}
}

func (s *runSummary) reject(w io.Writer, rej *event.Rejection) {
	s.messages[rej.Reason]++
	switch n := s.messages[rej.Reason]; {
	case n <= maxRejectMessages:
		fmt.Fprintf(w, "rejected: %s\n", rej)
	case n == maxRejectMessages+1:
		fmt.Fprintf(w, "rejected: further %q lines are counted, not listed\n", rej.Reason)
	}
}

func (c *cli) printSummary(s *runSummary, eng *runtime.Engine, f *runFlags) {
	st := eng.Stats()
	var reasons []string
	for _, r := range s.stats.Reasons() {
		reasons = append(reasons, fmt.Sprintf("%s: %d", r, s.stats.Rejected[r]))
	}
	rej := fmt.Sprintf("%d rejected", s.stats.RejectedTotal())
	if len(reasons) > 0 {
		rej += " (" + strings.Join(reasons, ", ") + ")"
	}
	fmt.Fprintf(c.stderr, "read %d lines from %d %s: %d events processed, %s; %d alerts, %d hunt records\n",
		s.stats.Read, s.files, plural(s.files, "file", "files"), s.stats.Processed, rej, st.Alerts, st.Hunts)
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
	if s.forced > 0 {
		fmt.Fprintf(c.stderr, "%d events run before their lateness had passed, to hold under %s of events (--max-held): results may depend on arrival order\n",
			s.forced, mib(f.maxHeld))
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

// rejectWriter writes rejected lines verbatim, one per line, so they can be fixed and
// replayed; a nil rejectWriter writes nothing. The file is replaced when the run ends
// (outfile: atomically, never over an input).
type rejectWriter struct {
	file *outfile.File
	w    *bufio.Writer
	err  error
}

func openRejects(name string, inputs *outfile.Inputs) (*rejectWriter, error) {
	if name == "" {
		return nil, nil
	}
	f, err := createOutput("--rejects", name, inputs)
	if err != nil {
		return nil, err
	}
	return &rejectWriter{file: f, w: bufio.NewWriter(f)}, nil
}

func (rw *rejectWriter) write(rej *event.Rejection) {
	if rw == nil || rw.err != nil {
		return
	}
	if _, err := rw.w.Write(rej.Raw); err != nil {
		rw.err = err
		return
	}
	rw.err = rw.w.WriteByte('\n')
}

// abort discards the lines unless close put them in place.
func (rw *rejectWriter) abort() {
	if rw != nil && rw.file != nil {
		rw.file.Abort()
		rw.file = nil
	}
}

// close flushes the lines and puts the file in place once (a failed write leaves the
// previous file as it was); later calls return nil.
func (rw *rejectWriter) close() error {
	if rw == nil || rw.file == nil {
		return nil
	}
	err := rw.err
	if err == nil {
		err = rw.w.Flush()
	}
	if err == nil {
		err = rw.file.Commit()
	}
	rw.file.Abort()
	rw.file = nil
	if err != nil {
		return fmt.Errorf("--rejects: %w", err)
	}
	return nil
}
