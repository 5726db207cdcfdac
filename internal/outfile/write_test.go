package outfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWrite: compile -o replaces the plans whole, leaves them as they were when encoding
// fails, and never writes over an input.
func TestWrite(t *testing.T) {
	errEncode := errors.New("encoding failed")
	big := strings.Repeat("x", 10000) // more than the buffer: part of it reaches the file
	tests := []struct {
		name    string
		write   func(io.Writer) error
		inputs  bool
		want    string
		wantErr error
	}{
		{name: "written whole", write: func(w io.Writer) error { _, err := io.WriteString(w, big); return err }, want: big},
		{name: "a failed write keeps the old output", write: func(w io.Writer) error {
			_, _ = io.WriteString(w, big)
			return errEncode
		}, want: "old", wantErr: errEncode},
		{name: "never over an input", write: func(w io.Writer) error { t.Error("written"); return nil }, inputs: true, want: "old", wantErr: ErrInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "plans.json")
			require.NoError(t, os.WriteFile(out, []byte("old"), 0o644))
			var inputs *Inputs
			if tc.inputs {
				inputs = &Inputs{}
				inputs.Add(out)
			}
			err := Write(out, inputs, tc.write)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			} else {
				assert.NoError(t, err)
			}
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Len(t, entries, 1, "no temporary file is left behind")
		})
	}
}
