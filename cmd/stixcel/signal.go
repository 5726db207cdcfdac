package main

import (
	"context"
	"errors"
	"fmt"
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

// stopError is the error of a run stopped by a signal before it started reading: exit
// 128 + the signal number, as a run stopped later; nil when ctx was not stopped by one.
func stopError(ctx context.Context, what string) error {
	sig := stoppedBy(ctx)
	if sig == nil {
		return nil
	}
	return &exitError{code: signalExitCode(sig), err: fmt.Errorf("stopped by %v %s", sig, what)}
}

// untilStopped runs fn, which may block (opening a FIFO) or take long (a large bundle), and
// returns as soon as a signal stops ctx, with the stop error naming what was under way; fn
// then goes on in the background and its result is dropped, as the process is about to exit.
func untilStopped[T any](ctx context.Context, what string, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		if err := stopError(ctx, what); err != nil {
			return zero, err
		}
		return zero, context.Cause(ctx)
	}
}
