package sigctx

import (
	"context"
	"errors"
	"os"
	goruntime "runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// otherSignal is a signal that is not a syscall.Signal.
type otherSignal struct{}

func (otherSignal) String() string { return "other" }
func (otherSignal) Signal()        {}

func TestStoppedTextAndExitCode(t *testing.T) {
	tests := []struct {
		name     string
		stopped  Stopped
		wantText string
		wantCode int
	}{
		{"interrupt", Stopped{Signal: syscall.SIGINT}, "stopped by interrupt", 130},
		{"terminated while loading", Stopped{Signal: syscall.SIGTERM, What: "while loading plans"}, "stopped by terminated while loading plans", 143},
		{"a signal without a number", Stopped{Signal: otherSignal{}}, "stopped by other", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.wantText, tc.stopped.Error())
			assert.Equal(t, tc.wantCode, tc.stopped.ExitCode())
		})
	}
}

func TestErr(t *testing.T) {
	byInterrupt, cancel := context.WithCancelCause(context.Background())
	cancel(&Stopped{Signal: syscall.SIGINT})
	plain, cancelPlain := context.WithCancel(context.Background())
	cancelPlain()
	tests := []struct {
		name string
		ctx  context.Context
		want *Stopped
	}{
		{"stopped by a signal", byInterrupt, &Stopped{Signal: syscall.SIGINT, What: "while opening x"}},
		{"cancelled otherwise", plain, nil},
		{"running", context.Background(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Err(tc.ctx, "while opening x"))
		})
	}
}

func TestUntil(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	block := func() (int, error) { <-release; return 0, nil }
	t.Run("fn ends first", func(t *testing.T) {
		v, err := Until(context.Background(), "while loading", func() (int, error) { return 7, errors.New("bad plans") })
		assert.Equal(t, 7, v)
		assert.EqualError(t, err, "bad plans")
	})
	t.Run("a signal stops it", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		time.AfterFunc(10*time.Millisecond, func() { cancel(&Stopped{Signal: syscall.SIGTERM}) })
		_, err := Until(ctx, "while loading plans", block)
		var s *Stopped
		require.ErrorAs(t, err, &s)
		assert.Equal(t, "stopped by terminated while loading plans", s.Error())
		assert.Equal(t, 143, s.ExitCode())
	})
	t.Run("cancelled otherwise", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Until(ctx, "while loading plans", block)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

// TestNewKeepsTheSignal sends the test process SIGTERM: the context New returned is
// cancelled with the signal as its cause, instead of the process ending.
func TestNewKeepsTheSignal(t *testing.T) {
	if goruntime.GOOS == "windows" {
		t.Skip("a process cannot send itself SIGTERM on Windows")
	}
	ctx, stop := New(context.Background())
	defer stop()
	self, err := os.FindProcess(os.Getpid())
	require.NoError(t, err)
	require.NoError(t, self.Signal(syscall.SIGTERM))
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the signal did not cancel the context")
	}
	assert.Equal(t, &Stopped{Signal: syscall.SIGTERM}, context.Cause(ctx))
	assert.Equal(t, &Stopped{Signal: syscall.SIGTERM, What: "while reading"}, Err(ctx, "while reading"))
}

func TestStopCancelsWithoutASignal(t *testing.T) {
	ctx, stop := New(context.Background())
	stop()
	<-ctx.Done()
	assert.Nil(t, Err(ctx, ""))
}
