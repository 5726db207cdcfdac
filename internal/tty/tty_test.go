package tty

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsTerminal(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer file.Close()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	tests := []struct {
		name string
		w    io.Writer
	}{
		{"a buffer", &bytes.Buffer{}},
		{"a regular file", file},
		{"a pipe", w},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.False(t, IsTerminal(tc.w))
		})
	}
}

// TestProgressOffATerminal: captured stderr gets no bars, and the file is read as it is.
func TestProgressOffATerminal(t *testing.T) {
	var stderr bytes.Buffer
	pr := NewProgress(&stderr)
	in := strings.NewReader("line\n")
	assert.Same(t, in, pr.Track(in, "events.jsonl", 5))
	pr.Wait()
	assert.Empty(t, stderr.String())
}

// TestProgressBars: with bars drawn, the file still reads the same bytes, and Wait returns
// once the bar is done.
func TestProgressBars(t *testing.T) {
	var out bytes.Buffer
	pr := newBars(&out)
	const data = "one\ntwo\n"
	empty := strings.NewReader("")
	assert.Same(t, empty, pr.Track(empty, "empty.jsonl", 0), "an empty file gets no bar")
	got, err := io.ReadAll(pr.Track(strings.NewReader(data), "events.jsonl", int64(len(data))))
	require.NoError(t, err)
	pr.Wait()
	assert.Equal(t, data, string(got))
}
