package alertfmt_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/alertfmt"
	"github.com/stixcel/stixcel/runtime"
)

// TestBufferedFlushesAlertsAtOnce: a consumer of a live stream sees an alert as soon as it
// is emitted; hunt records wait for the buffer (or Close).
func TestBufferedFlushesAlertsAtOnce(t *testing.T) {
	var out bytes.Buffer
	b, err := alertfmt.NewBuffered(&out, alertfmt.JSON, alertfmt.Options{})
	require.NoError(t, err)
	b.Emit(&runtime.Hunt{Time: t0, Analytic: "AN0001"})
	assert.Empty(t, out.String(), "a hunt record waits in the buffer")
	b.Emit(sample())
	assert.Equal(t, 2, strings.Count(out.String(), "\n"), "the alert, and the hunt record before it, are written")
	b.Emit(&runtime.Hunt{Time: t0, Analytic: "AN0002"})
	require.NoError(t, b.Close())
	assert.Equal(t, 3, strings.Count(out.String(), "\n"))
}

func TestBufferedWritesTheSTIXBundleAtClose(t *testing.T) {
	var out bytes.Buffer
	b, err := alertfmt.NewBuffered(&out, alertfmt.STIX, alertfmt.Options{})
	require.NoError(t, err)
	b.Emit(sample())
	assert.Empty(t, out.String(), "the bundle is written at the end")
	require.NoError(t, b.Close())
	assert.Equal(t, render(t, alertfmt.STIX, alertfmt.Options{}, sample()), out.String())
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestBufferedKeepsTheFirstError(t *testing.T) {
	t.Run("a hunt record in STIX", func(t *testing.T) {
		b, err := alertfmt.NewBuffered(&bytes.Buffer{}, alertfmt.STIX, alertfmt.Options{})
		require.NoError(t, err)
		b.Emit(&runtime.Hunt{})
		b.Emit(sample())
		assert.ErrorIs(t, b.Close(), alertfmt.ErrHuntSTIX)
	})
	t.Run("a failed write", func(t *testing.T) {
		b, err := alertfmt.NewBuffered(failingWriter{}, alertfmt.JSON, alertfmt.Options{})
		require.NoError(t, err)
		b.Emit(sample())
		assert.EqualError(t, b.Close(), "disk full")
	})
}

func TestNewBufferedRefusesAnUnknownFormat(t *testing.T) {
	_, err := alertfmt.NewBuffered(&bytes.Buffer{}, "yaml", alertfmt.Options{})
	assert.EqualError(t, err, `unknown format "yaml"`)
}

// TestColorOn: output that is not a terminal (a file, a buffer) is never coloured.
func TestColorOn(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "alerts.txt"))
	require.NoError(t, err)
	defer file.Close()
	assert.False(t, alertfmt.ColorOn(file))
	assert.False(t, alertfmt.ColorOn(&bytes.Buffer{}))
}
