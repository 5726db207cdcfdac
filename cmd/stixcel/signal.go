package main

import (
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

// signalWatch turns SIGINT and SIGTERM into an orderly stop: it records the signal and
// closes the input being read, so a read blocked on a pipe returns; the run then flushes the
// alerts it found and its summary and exits 130 (SIGINT) or 143 (SIGTERM).
type signalWatch struct {
	ch   chan os.Signal
	done chan struct{}

	sig atomic.Pointer[os.Signal] // read once per event: no lock on the hot path

	mu    sync.Mutex // guards input and its closing
	input *os.File

	restore []int // descriptors made non-blocking, put back on close
}

func watchSignals() *signalWatch {
	w := &signalWatch{ch: make(chan os.Signal, 1), done: make(chan struct{})}
	signal.Notify(w.ch, syscall.SIGINT, syscall.SIGTERM)
	go w.wait()
	return w
}

func (w *signalWatch) wait() {
	select {
	case sig := <-w.ch:
		w.mu.Lock()
		w.sig.Store(&sig)
		in := w.input
		w.mu.Unlock()
		if in != nil {
			_ = in.Close()
		}
	case <-w.done:
	}
}

// reading names the input to close when a signal arrives; an input opened after the signal
// is closed at once, so its first read cannot block.
func (w *signalWatch) reading(f *os.File) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.input = f
	if w.sig.Load() != nil {
		_ = f.Close()
	}
}

// signal returns the signal received, or nil.
func (w *signalWatch) signal() os.Signal {
	if sig := w.sig.Load(); sig != nil {
		return *sig
	}
	return nil
}

func (w *signalWatch) close() {
	signal.Stop(w.ch)
	close(w.done)
	for _, fd := range w.restore {
		_ = syscall.SetNonblock(fd, false)
	}
}

// signalExitCode is the shell convention: 128 + the signal number.
func signalExitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// pollable returns f (a pipe or terminal) re-opened in non-blocking mode, so that Go's poller
// serves its reads and closing it interrupts a blocked read; f itself when that fails. The
// descriptor is shared with the parent (a shell's terminal), so close puts it back in
// blocking mode.
func (w *signalWatch) pollable(f *os.File) *os.File {
	conn, err := f.SyscallConn()
	if err != nil {
		return f
	}
	var fd uintptr
	if err := conn.Control(func(d uintptr) { fd = d }); err != nil {
		return f
	}
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		return f
	}
	w.restore = append(w.restore, int(fd))
	return os.NewFile(fd, f.Name())
}
