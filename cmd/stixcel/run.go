package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/alertfmt"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/hints"
	"github.com/stixcel/stixcel/internal/bounded"
	"github.com/stixcel/stixcel/internal/gcload"
	"github.com/stixcel/stixcel/internal/runloop"
	"github.com/stixcel/stixcel/internal/sigctx"
	"github.com/stixcel/stixcel/internal/tty"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
)

type runFlags struct {
	compile   compileFlags
	plansFile string
	bundles   []string
	hunt      bool
	strict    bool
	source    string
	workers   int
	noIndex   bool // the hidden --no-candidate-index: every reached channel evaluated
	rejects   string
	maxGroups int
	maxState  int64
	maxHeld   int64
	maxIter   int
	lateness  time.Duration
	maxAhead  time.Duration
	idleFlush time.Duration
	follow    bool
	stream    bool // --follow, or an explicit --lateness or --idle-flush: not a batch
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
for people (--format text; coloured on a terminal), STIX 2.1 sightings (--format stix: one
bundle at the end of the run, or one object per line when reading stdin), or OCSF 1.8.0
Detection Findings (--format ocsf, one per line). Plans come from
--plans, or are compiled from --bundle and the packs; with neither, the built-in pack runs on
the embedded seed bundle. With no events file, events are read from stdin.

The inputs are a batch: their events, sorted by time whatever the order of the lines, one
body of evidence; alerts come once the inputs end. --follow reads a stream instead (a live
stdin such as tail -f): merged in event time within --lateness, alerts as windows close.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			f.stream = f.follow || fl.Changed("lateness") || fl.Changed("idle-flush")
			if !f.stream && !fl.Changed("max-held") {
				f.maxHeld = event.DefaultBatchHeld
			}
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
	fl.Var(newByteSize(&f.maxState, runtime.DefaultMaxState), "max-state", "keep correlation state under `BYTES` in all (long group values count by digest and prefix); the least recently active groups are evicted (their open alerts written first) and counted")
	fl.Var(newByteSize(&f.maxHeld, event.DefaultMaxHeld), "max-held", "hold at most `BYTES` of events in memory (a number or a size such as 96MiB or 1GB; 32 MiB for a batch unless given): a batch sorts the rest through temporary files; a stream runs the oldest early (counted, and results may then depend on arrival order)")
	fl.IntVar(&f.maxIter, "max-iterations", runtime.DefaultMaxIterations, "cut off an evaluation after `N` comprehension iterations (counted as no match)")
	fl.StringVar(&f.rejects, "rejects", "", "write rejected lines verbatim to `FILE` for replay")
	fl.BoolVar(&f.follow, "follow", false, "read the inputs as a stream (a live stdin such as tail -f): merged within --lateness, alerts as windows close")
	fl.DurationVar(&f.lateness, "lateness", event.DefaultLateness, "a stream (implies --follow): how far out of event-time order each input may be; older events are rejected as late")
	fl.DurationVar(&f.maxAhead, "max-ahead", event.DefaultMaxAhead, "reject events more than this `DURATION` ahead of the run's start (a batch) or of their input's latest time (a stream)")
	fl.DurationVar(&f.idleFlush, "idle-flush", 0, "a stream (implies --follow): after `DURATION` of silence on stdin, run the events held for the lateness and write the open alerts (results then depend on timing)")
	fl.IntVar(&f.workers, "workers", goruntime.NumCPU(), "evaluate on `N` goroutines, sharded by plan and group key (alerts are identical to one worker)")
	fl.BoolVar(&f.noIndex, "no-candidate-index", false, "evaluate every channel an event reaches, without the candidate index (same alerts; for comparisons)")
	_ = fl.MarkHidden("no-candidate-index")
	fl.StringVar(&f.format, "format", string(alertfmt.JSON), "write alerts as `json|text|stix|ocsf` (stix: one bundle at the end, one object per line when reading stdin; ocsf: OCSF 1.8.0 Detection Findings, one per line)")
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
	if len(args) == 0 {
		args = []string{"-"}
	}
	// Watch for signals first: reading the plans may block on a FIFO (--plans, --bundle,
	// --params) or take long on a large bundle, and a signal must still stop the run.
	ctx, stop := signalContext(context.Background())
	defer stop()
	shown := make(chan any)
	bars := tty.NewProgressFrom(c.stderr, shown)
	r := &runloop.Run{Stderr: c.stderr, ReadDone: bars.Wait}
	early := c.readEarly(ctx, args, f, r, bars)
	defer early.stop() // a run that stops before reading leaves no reading behind
	prep, err := sigctx.Until(ctx, "while loading plans", func() (*prepared, error) { return c.prepareRun(f, early) })
	if err != nil {
		return signalExit(err)
	}
	defer gcload.BoundAt(gcload.Headroom, gcload.BatchPercent)()
	rejects, err := pump.CreateRejects(f.rejects, c.inputsOf(args, f.bundles, f.compile.packs,
		files(f.plansFile, f.compile.params, f.compile.taxonomy, sourceFile(f.source))))
	if err != nil {
		return inputErr(fmt.Errorf("--rejects: %w", err))
	}
	defer rejects.Abort() // a run that stops before reading leaves the previous file
	out, err := alertfmt.NewBuffered(c.stdout, f.outFormat, alertfmt.Options{Color: alertfmt.ColorOn(c.stdout), Stream: slices.Contains(args, "-")})
	if err != nil {
		return inputErr(err)
	}
	close(shown)
	reading := early
	if reading == nil {
		if reading, err = c.openNow(ctx, args, f, bars, prep.profile); err != nil {
			return err
		}
		defer reading.stop()
	} else {
		c.noteSkipped(reading.opened)
	}
	r.Engine, r.Hints, r.Out, r.Rejects = prep.eng, prep.hints, out, rejects
	r.Summary = alertfmt.RunSummary{Hunt: f.hunt, MaxState: f.maxState, MaxHeld: f.maxHeld}
	err = r.Pump(ctx, reading.start(r, f))
	if serr := stopError(ctx, ""); serr != nil {
		fmt.Fprintln(c.stderr, serr)
		return serr
	}
	if err != nil {
		return inputErr(err)
	}
	return nil
}

// reading is the reading of a run's events: the inputs opened, the decoders of their
// source profile, and once started their reading (runloop.Run.Start).
type reading struct {
	profile *source.Profile
	decoder func() event.Decoder
	opened  *pump.Opened
	started *pump.Started
}

// readEarly opens the inputs and starts reading them for r, for the plans to load meanwhile,
// when nothing a user sees changes for it and it pays: the inputs are a batch of regular
// files (named, or under directories) of at least --max-held bytes, --source is a built-in
// profile or a regular file, and the profile, the decoders and every input load or open
// without error. Otherwise it returns nil, and the run opens its inputs once its plans are
// loaded (openNow), reporting what fails in its order: a plan error first. Stdin, FIFOs and
// pipes are opened and read only once the engine exists, as a read from them may block, or
// be what their writer waits for. Streams and smaller batches are read in a fraction of the
// build, and each of its collections would scan the events held meanwhile: with the
// enterprise plans and SigmaHQ's Windows rules, 16 MB of events read early took as long, for
// 2-3% more CPU (7% more wall and 11% more CPU when a batch held 64 MiB), where 47 MB took 6%
// less wall time and 158 MB 10% less. Nothing is written before the plans load: the pump
// writes only what Run hands over, the bars are shown later, and the skipped files are noted
// then.
func (c *cli) readEarly(ctx context.Context, args []string, f *runFlags, r *runloop.Run, bars *tty.Progress) *reading {
	if f.stream || (sourceFile(f.source) != "" && !regularFile(f.source)) {
		return nil
	}
	if size, ok := regularSize(args); !ok || size < f.maxHeld {
		return nil
	}
	profile, err := loadSourceProfile(f.source)
	if err != nil {
		return nil
	}
	decoder, err := decoderOf(profile)
	if err != nil {
		return nil
	}
	opened, err := pump.Open(ctx, args, c.openOptions(f, bars))
	if err != nil {
		return nil
	}
	rd := &reading{profile: profile, decoder: decoder, opened: opened}
	rd.start(r, f)
	return rd
}

// regularSize is the size of the regular files paths name, those under directories
// included; ok is false when one is anything else (stdin, a FIFO, a pipe) or is missing.
func regularSize(paths []string) (size int64, ok bool) {
	for _, p := range paths {
		st, err := os.Stat(p)
		switch {
		case p == "-" || err != nil:
			return 0, false
		case st.Mode().IsRegular():
			size += st.Size()
		case st.IsDir():
			_ = filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil
				}
				if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
					size += info.Size()
				}
				return nil
			})
		default:
			return 0, false
		}
	}
	return size, true
}

// openNow opens the inputs once the plans are loaded and says which files of directories it
// skipped, to be read with the decoders of profile.
func (c *cli) openNow(ctx context.Context, args []string, f *runFlags, bars *tty.Progress, profile *source.Profile) (*reading, error) {
	opened, err := pump.Open(ctx, args, c.openOptions(f, bars))
	if err != nil {
		return nil, openError(ctx, err)
	}
	c.noteSkipped(opened)
	decoder, err := decoderOf(profile)
	if err != nil {
		opened.Close()
		return nil, inputErr(err)
	}
	return &reading{profile: profile, decoder: decoder, opened: opened}, nil
}

// start starts reading the events for r, unless it has started.
func (rd *reading) start(r *runloop.Run, f *runFlags) *pump.Started {
	if rd.started == nil {
		rd.started = r.Start(rd.opened.Inputs, f.pumpOptions(rd.decoder))
	}
	return rd.started
}

// stop drops the reading and closes the inputs (after the run pumped the events, it only
// closes them).
func (rd *reading) stop() {
	if rd == nil {
		return
	}
	if rd.started != nil {
		rd.started.Stop()
	}
	rd.opened.Close()
}

// regularFile reports whether path is a regular file: what run may read before its plans
// load.
func regularFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// openOptions are how run opens its inputs: stdin, its idle flush, the progress bars.
func (c *cli) openOptions(f *runFlags, bars *tty.Progress) pump.OpenOptions {
	track := bars.Track
	if c.runHooks.track != nil {
		track = c.runHooks.track
	}
	return pump.OpenOptions{Stdin: c.stdin, IdleFlush: f.idleFlush, Track: track}
}

// noteSkipped says which files of directory arguments were not read, and why.
func (c *cli) noteSkipped(opened *pump.Opened) {
	if note := opened.SkippedNote(); note != "" {
		fmt.Fprintln(c.stderr, note)
	}
}

// pumpOptions are how run reads its events: decoded by decoder, a batch or a stream.
func (f *runFlags) pumpOptions(decoder func() event.Decoder) pump.Options {
	return pump.Options{Decoder: decoder, Strict: f.strict, Batch: !f.stream,
		Merge: event.MergeOptions{Lateness: f.lateness, MaxAhead: f.maxAhead, MaxHeld: f.maxHeld}}
}

// runHooks let tests see into the start of a run; the zero value changes nothing.
type runHooks struct {
	// loading is called as the plans start loading.
	loading func()
	// track wraps each events file opened, instead of the progress bars.
	track func(r io.Reader, name string, size int64) io.Reader
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

// decoderOf returns the decoders of the inputs (a decoder per input: it is not safe for
// concurrent use): raw events mapped by the source profile, or without one normalized events
// and the raw shapes the built-in profiles recognise (source.NewImplied: Windows event JSON).
func decoderOf(profile *source.Profile) (func() event.Decoder, error) {
	if profile != nil {
		return func() event.Decoder { return source.NewDecoder(profile) }, nil
	}
	implied, err := source.ImpliedBuiltins()
	if err != nil {
		return nil, err
	}
	return func() event.Decoder { return source.NewImplied(implied...) }, nil
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
	case format == alertfmt.OCSF && f.hunt:
		return inputErr(fmt.Errorf("--format ocsf --hunt: %w", alertfmt.ErrHuntOCSF))
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

// prepareRun reads or compiles the plans, builds the engine and loads the source profile
// (the one early loaded, when it read the events early), with the garbage collector relaxed
// (gcload).
func (c *cli) prepareRun(f *runFlags, early *reading) (*prepared, error) {
	defer gcload.Relax()()
	if c.runHooks.loading != nil {
		c.runHooks.loading()
	}
	set, hints, err := c.runPlans(f)
	if err != nil {
		return nil, err
	}
	eng, err := runtime.New(set, runtime.WithHunt(f.hunt), runtime.WithWorkers(f.workers),
		runtime.WithMaxGroups(f.maxGroups), runtime.WithMaxState(f.maxState), runtime.WithMaxIterations(f.maxIter),
		runtime.WithCandidateIndex(!f.noIndex))
	if err != nil {
		return nil, inputErr(err)
	}
	if early != nil {
		return &prepared{eng: eng, profile: early.profile, hints: hints}, nil
	}
	profile, err := loadSourceProfile(f.source)
	if err != nil {
		return nil, inputErr(err)
	}
	return &prepared{eng: eng, profile: profile, hints: hints}, nil
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
	set, err := plan.ReadRunnableFile(f.plansFile, f.hunt)
	if err != nil {
		return nil, nil, inputErr(err)
	}
	return set, hints.New(nil, set, f.source == ""), nil
}

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
