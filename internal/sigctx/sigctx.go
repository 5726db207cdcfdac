// Package sigctx stops a command in order on SIGINT or SIGTERM: a context cancelled by the
// signal, with the signal kept as its cause, so that the command writes what it found and
// exits 128 + the signal number (130 for SIGINT, 143 for SIGTERM), the shell's convention.
// That is its one job; which code a command exits with is the command's.
package sigctx

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// signals are the signals that stop a command in order. Both exist on every platform the
// CLI builds for.
func signals() []os.Signal { return []os.Signal{syscall.SIGINT, syscall.SIGTERM} }

// Stopped is the cause of a context cancelled by a signal (New), and the error of a command
// stopped by one (Err): "stopped by interrupt", followed by what was under way, if known.
type Stopped struct {
	Signal os.Signal
	// What was under way ("while loading plans"); "" for the cause of a context.
	What string
}

func (s *Stopped) Error() string {
	if s.What == "" {
		return "stopped by " + s.Signal.String()
	}
	return "stopped by " + s.Signal.String() + " " + s.What
}

// ExitCode is the shell convention for a process stopped by Signal: 128 + its number (1 for
// a signal that has no number).
func (s *Stopped) ExitCode() int {
	if n, ok := s.Signal.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}

// New is signal.NotifyContext with the signal kept as the context's cause (a *Stopped), so
// that the exit code can name it. The returned function stops watching and cancels.
func New(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, signals()...)
	go func() {
		select {
		case sig := <-ch:
			cancel(&Stopped{Signal: sig})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// Err is the error of a command stopped by a signal while what was under way: nil when ctx
// was not stopped by a signal.
func Err(ctx context.Context, what string) *Stopped {
	var s *Stopped
	if !errors.As(context.Cause(ctx), &s) {
		return nil
	}
	return &Stopped{Signal: s.Signal, What: what}
}

// Until runs fn, which may block (opening a FIFO) or take long (a large bundle), and returns
// as soon as ctx is done: with Err(ctx, what) when a signal stopped it, else ctx's cause. fn
// then goes on in the background and its result is dropped, as the process is about to exit.
func Until[T any](ctx context.Context, what string, fn func() (T, error)) (T, error) {
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
		if s := Err(ctx, what); s != nil {
			return zero, s
		}
		return zero, context.Cause(ctx)
	}
}
