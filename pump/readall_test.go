package pump

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
)

// TestReadAll: the files named are read whole, their events handed back in event time across
// files; the first rejected line is the error, naming its file and line, and a missing file
// is Open's error.
func TestReadAll(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	a := write("a.jsonl", eventLine(300, 0)+"\n"+eventLine(100, 0)+"\n")
	b := write("b.jsonl", eventLine(200, 0)+"\n")
	bad := write("bad.jsonl", eventLine(100, 0)+"\nnot json\n")
	tests := []struct {
		name    string
		files   []string
		want    []int64
		wantErr string
	}{
		{name: "two files, in event time", files: []string{a, b}, want: []int64{100, 200, 300}},
		{name: "a rejected line", files: []string{a, bad}, wantErr: "bad.jsonl:2: invalid JSON"},
		{name: "a missing file", files: []string{filepath.Join(dir, "none.jsonl")}, wantErr: "none.jsonl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events, err := ReadAll(context.Background(), tc.files, nil)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			var got []int64
			for _, ev := range events {
				n, _ := ev.Get("n")
				got = append(got, n.(int64))
			}
			assert.Equal(t, tc.want, got)
		})
	}
	var rej *event.Rejection
	_, err := ReadAll(context.Background(), []string{bad}, nil)
	require.ErrorAs(t, err, &rej, "the rejection itself")
	assert.Equal(t, 2, rej.Line)
}
