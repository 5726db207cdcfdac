package main

import (
	"context"
	"errors"

	"github.com/stixcel/stixcel/internal/sigctx"
)

// signalContext is the context of a command that SIGINT and SIGTERM stop in order
// (sigctx.New): what it found is written, then it exits 128 + the signal number.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	return sigctx.New(parent)
}

// stopError is the error of a command stopped by a signal while what was under way (exit
// 128 + the signal number); nil when ctx was not stopped by one.
func stopError(ctx context.Context, what string) error {
	if s := sigctx.Err(ctx, what); s != nil {
		return &exitError{code: s.ExitCode(), err: s}
	}
	return nil
}

// signalExit gives the error of a stop by a signal (sigctx.Until's) its exit code; other
// errors are returned as they are.
func signalExit(err error) error {
	var s *sigctx.Stopped
	if errors.As(err, &s) {
		return &exitError{code: s.ExitCode(), err: s}
	}
	return err
}
