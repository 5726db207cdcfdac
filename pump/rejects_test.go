package pump

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/outfile"
)

// runRejecting runs text through Run with rf as the rejects writer.
func runRejecting(t *testing.T, text string, rf *RejectsFile) Summary {
	t.Helper()
	sum, err := Run(context.Background(), []Input{{Name: "a.jsonl", R: strings.NewReader(text)}},
		Options{Rejects: rf}, Handler{Event: func(context.Context, *event.Event) error { return nil }})
	require.NoError(t, err)
	return sum
}

// TestNoRejectsFile: without --rejects (a nil *RejectsFile) rejected lines are counted and
// the run goes on.
func TestNoRejectsFile(t *testing.T) {
	rf, err := CreateRejects("", &outfile.Inputs{})
	require.NoError(t, err)
	require.Nil(t, rf)
	sum := runRejecting(t, "[1]\n"+eventLine(1, 0)+"\n", rf)
	assert.Equal(t, int64(1), sum.Stats.RejectedTotal())
	assert.Equal(t, int64(1), sum.Stats.Processed)
	rf.Abort()
	assert.NoError(t, rf.Close())
}

// TestRejectsFile: the rejected lines are put in place by Close; a run that aborts leaves
// the previous file as it was.
func TestRejectsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rejects.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("previous\n"), 0o644))
	text := "[1]\n" + eventLine(1, 0) + "\nnot json\n"

	aborted, err := CreateRejects(path, &outfile.Inputs{})
	require.NoError(t, err)
	runRejecting(t, text, aborted)
	aborted.Abort()
	assertFile(t, path, "previous\n")

	rf, err := CreateRejects(path, &outfile.Inputs{})
	require.NoError(t, err)
	runRejecting(t, text, rf)
	assertFile(t, path, "previous\n")
	require.NoError(t, rf.Close())
	assertFile(t, path, "[1]\nnot json\n")
	assert.NoError(t, rf.Close(), "a second Close does nothing")
}

func TestCreateRejectsNeverOverAnInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(eventLine(1, 0)+"\n"), 0o644))
	inputs := &outfile.Inputs{}
	inputs.Add(path)
	_, err := CreateRejects(path, inputs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "events.jsonl")
	assertFile(t, path, eventLine(1, 0)+"\n")
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, string(got))
}
