package main

import (
	"context"
	"fmt"
	"github.com/stixcel/stixcel/internal/gcload"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/hints"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/serve"
	"github.com/stixcel/stixcel/source"
)

type publishFlags struct {
	nats     natsFlags
	source   string
	lateness time.Duration
	maxAhead time.Duration
	lines    int
	bytes    int64
}

func (c *cli) publishCommand() *cobra.Command {
	var f publishFlags
	cmd := &cobra.Command{
		Use:   "publish [EVENTS.jsonl ... | -] --nats URL",
		Short: "Load event files into the NATS input stream of stixcel serve",
		Long: `Publish event lines to the input stream of stixcel serve, merged in event time as run
merges them, each with its file:line in the Stixcel-Source and Stixcel-Line headers (alerts
cite them, and their ids are those of run). The lines are packed, in that order, into
messages of up to --batch-lines lines and --batch-bytes bytes (never over the server's
maximum payload; a live input's message goes once its first line has waited a second);
publishing the same files with the same packing again stores nothing twice. Lines run would reject are parked on the rejects subject with their reason. The
streams are created if absent.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return c.publish(args, &f) },
	}
	f.nats.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.source, "source", "", "read raw events with source profile `NAME|FILE.yaml` (built-in: "+strings.Join(source.Builtins(), ", ")+")")
	fl.DurationVar(&f.lateness, "lateness", event.DefaultLateness, "how far out of event-time order each file may be")
	fl.DurationVar(&f.maxAhead, "max-ahead", event.DefaultMaxAhead, "reject events more than this `DURATION` ahead of their file's latest time")
	fl.IntVar(&f.lines, "batch-lines", serve.DefaultMaxLines, "event lines per message, at most `N` (1: a message per line)")
	fl.Var(newByteSize(&f.bytes, serve.DefaultMaxBytes), "batch-bytes", "bytes per message, headers included, at most `BYTES` (and at most the server's maximum payload)")
	return cmd
}

func (c *cli) publish(args []string, f *publishFlags) error {
	if err := checkEventFiles(args); err != nil {
		return err
	}
	if f.lines < 1 || f.bytes < 1 {
		return inputErr(fmt.Errorf("--batch-lines %d, --batch-bytes %d: want 1 or more", f.lines, f.bytes))
	}
	profile, err := loadSourceProfile(f.source)
	if err != nil {
		return inputErr(err)
	}
	ctx, stop := signalContext(context.Background())
	defer stop()
	nc, js, err := f.nats.connect("stixcel publish")
	if err != nil {
		return inputErr(err)
	}
	defer nc.Close()
	if err := serve.Setup(ctx, js, f.nats.names); err != nil {
		return err
	}
	opened, err := pump.Open(ctx, args, pump.OpenOptions{Stdin: c.stdin})
	if err != nil {
		return openError(ctx, err)
	}
	defer opened.Close()
	defer gcload.Stream(gcload.Headroom)()
	hints := hints.New(nil, nil, f.source == "")
	hints.NoImpliedShapes() // serve's workers read normalized events, or --source
	st, err := serve.Publish(ctx, js, f.nats.names, serve.PublishOptions{Profile: profile, Lateness: f.lateness, MaxAhead: f.maxAhead,
		Rejected: hints.Rejected, Messages: c.stderr, MaxLines: f.lines, MaxBytes: f.bytes}, opened.Inputs...)
	fmt.Fprintf(c.stderr, "published %d events from %d lines of %d %s; %d rejected (parked on %s.rejects)\n",
		st.Processed, st.Read, len(args), plural(len(args), "file", "files"), st.RejectedTotal(), f.nats.names.Prefix)
	hints.Write(c.stderr)
	if err == nil {
		if err = pump.NothingProcessed(st); err != nil {
			err = inputErr(err) // nothing could be published
		}
	}
	return err
}
