package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/internal/termsafe"
	"github.com/stixcel/stixcel/serve"
)

func (c *cli) alertsCommand() *cobra.Command {
	var f natsFlags
	var follow bool
	cmd := &cobra.Command{
		Use:   "alerts --nats URL [--follow]",
		Short: "Print the alert stream of stixcel serve as JSON lines",
		Long: `Print the alerts stixcel serve published, one JSON object per line in the format of
stixcel run, from the start of the alert stream. With --follow, wait for new alerts until
interrupted. A message that is not a JSON object (published to the subject by something
other than stixcel serve) is not printed: it is counted on standard error, the first few
shown there with their control characters escaped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signalContext(context.Background())
			defer stop()
			nc, js, err := f.connect("stixcel alerts")
			if err != nil {
				return inputErr(err)
			}
			defer nc.Close()
			w := bufio.NewWriter(c.stdout)
			lines := &alertLines{out: &flushWriter{w: w}, stderr: c.stderr}
			err = serve.Alerts(ctx, js, f.names, follow, lines)
			if ferr := w.Flush(); err == nil {
				err = ferr
			}
			lines.summary()
			return err
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&follow, "follow", false, "wait for new alerts until interrupted")
	return cmd
}

// flushWriter flushes after each line, so that a follower sees an alert when it comes.
type flushWriter struct{ w *bufio.Writer }

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.w.Flush()
	}
	return n, err
}

// alertLines passes on the messages of the alert stream that are JSON objects, one line
// each, and counts the others instead of printing them: the alert subject is open to any
// publisher, and stdout must stay JSON lines and free of terminal control sequences.
// serve.Alerts writes each message with one Write.
type alertLines struct {
	out     io.Writer
	stderr  io.Writer
	skipped int
}

// maxSkippedShown is how many skipped messages are shown on standard error.
const maxSkippedShown = 5

// maxShownBytes is how much of a skipped message is shown.
const maxShownBytes = 120

func (a *alertLines) Write(p []byte) (int, error) {
	msg := bytes.TrimSuffix(p, []byte("\n"))
	trimmed := bytes.TrimSpace(msg)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		var line bytes.Buffer
		if err := json.Compact(&line, trimmed); err != nil {
			return 0, err
		}
		line.WriteByte('\n')
		if _, err := a.out.Write(line.Bytes()); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	a.skipped++
	if a.skipped <= maxSkippedShown {
		shown, more := msg, ""
		if len(shown) > maxShownBytes {
			shown, more = shown[:maxShownBytes], fmt.Sprintf("… (%d bytes)", len(msg))
		}
		fmt.Fprintf(a.stderr, "stixcel alerts: skipped a message that is not a JSON object: %s%s\n", termsafe.Line(string(shown)), more)
	}
	return len(p), nil
}

// summary says how many messages were skipped, if any.
func (a *alertLines) summary() {
	if a.skipped > 0 {
		fmt.Fprintf(a.stderr, "stixcel alerts: %d %s of the alert stream %s not JSON objects: not printed\n",
			a.skipped, plural(a.skipped, "message", "messages"), plural(a.skipped, "was", "were"))
	}
}
