package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// stopSignals are the signals that stop a run in order: its alerts and summary are written,
// then it exits 128 + the signal number (130 for SIGINT, 143 for SIGTERM). Both exist on
// every platform the CLI builds for.
var stopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM}

// stopped is the cause of a context cancelled by a signal.
type stopped struct{ sig os.Signal }

func (s *stopped) Error() string { return "stopped by " + s.sig.String() }

// signalContext is signal.NotifyContext with the signal kept as the context's cause
// (stoppedBy), so that the exit code can name it.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, stopSignals...)
	go func() {
		select {
		case sig := <-ch:
			cancel(&stopped{sig: sig})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// stoppedBy returns the signal that cancelled ctx, or nil.
func stoppedBy(ctx context.Context) os.Signal {
	var s *stopped
	if errors.As(context.Cause(ctx), &s) {
		return s.sig
	}
	return nil
}

// signalExitCode is the shell convention: 128 + the signal number.
func signalExitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// closeOnDone closes c when ctx is done, so that a read blocked on it (a FIFO, a pipe)
// returns; the returned function stops watching.
func closeOnDone(ctx context.Context, c io.Closer) (stop func() bool) {
	return context.AfterFunc(ctx, func() { _ = c.Close() })
}
