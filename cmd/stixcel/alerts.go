package main

import (
	"bufio"
	"context"

	"github.com/spf13/cobra"

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
interrupted.`,
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
			err = serve.Alerts(ctx, js, f.names, follow, &flushWriter{w: w})
			if ferr := w.Flush(); err == nil {
				err = ferr
			}
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
