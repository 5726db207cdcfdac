package pump

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/shared"
)

// evtxDumpDecoder reads evtx_dump-shaped records: the channel is the log source, SystemTime
// the time (the windows profile's job; here only to see the records through the pump).
type evtxDumpDecoder struct{}

func (evtxDumpDecoder) Decode(line []byte) (*event.Event, *event.Invalid) {
	var rec struct {
		Event struct {
			System struct {
				Channel     string
				TimeCreated struct {
					Attributes struct{ SystemTime time.Time } `json:"#attributes"`
				}
			}
		}
	}
	if err := json.Unmarshal(line, &rec); err != nil || rec.Event.System.Channel == "" {
		return nil, &event.Invalid{Reason: "not evtx_dump JSON"}
	}
	ev, ok := event.NewRaw(line)
	if !ok {
		return nil, &event.Invalid{Reason: "not evtx_dump JSON"}
	}
	ev.Time, ev.LogSource = rec.Event.System.TimeCreated.Attributes.SystemTime, rec.Event.System.Channel
	return ev, nil
}

// regressionFile is a file of the shared Sigma regression data, by its rule's folder.
func regressionFile(t *testing.T, folder, ext string) string {
	dir := shared.Path(t, "sigma", "regression_data", "rules", "windows", "process_creation", folder)
	matches, err := filepath.Glob(filepath.Join(dir, "*"+ext))
	require.NoError(t, err)
	require.Len(t, matches, 1)
	return matches[0]
}

func copyFile(t *testing.T, from, to string, gz bool) {
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
	f, err := os.Create(to)
	require.NoError(t, err)
	defer f.Close()
	if !gz {
		_, err = f.Write(data)
		require.NoError(t, err)
		return
	}
	zw := gzip.NewWriter(f)
	_, err = zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
}

// TestOpenDirectory: a directory argument is read file by file in lexical order, by content
// whatever the names (EVTX, gzipped EVTX, evtx_dump's pretty JSON); files that hold no logs
// are skipped and listed; every record is an event citing its file and record number.
func TestOpenDirectory(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, regressionFile(t, "proc_creation_win_bitsadmin_download", ".evtx"), filepath.Join(dir, "b", "security.evtx"), false)
	copyFile(t, regressionFile(t, "proc_creation_win_susp_right_to_left_override", ".evtx"), filepath.Join(dir, "a", "old.log.gz"), true)
	copyFile(t, regressionFile(t, "proc_creation_win_bitsadmin_download", ".json"), filepath.Join(dir, "c.txt"), false)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("# notes\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty.jsonl"), nil, 0o644))
	copyFile(t, regressionFile(t, "proc_creation_win_bitsadmin_download", ".evtx"), filepath.Join(dir, ".git", "x.evtx"), false)

	opened, err := Open(context.Background(), []string{dir}, OpenOptions{})
	require.NoError(t, err)
	defer opened.Close()
	var names []string
	for _, in := range opened.Inputs {
		rel, _ := filepath.Rel(dir, in.Name)
		names = append(names, rel)
	}
	assert.Equal(t, []string{"a/old.log.gz", "b/security.evtx", "c.txt"}, names)
	assert.Equal(t, []Skipped{
		{Path: filepath.Join(dir, ".git"), Why: "hidden directory"},
		{Path: filepath.Join(dir, "README.md"), Why: "not a log (unknown content)"},
		{Path: filepath.Join(dir, "empty.jsonl"), Why: "empty"},
	}, opened.Skipped)
	assert.Contains(t, opened.SkippedNote(), "skipped 3 paths in directories: no logs (")

	var where []string
	sum, err := Run(context.Background(), opened.Inputs, Options{Decoder: func() event.Decoder { return evtxDumpDecoder{} }, Merge: event.MergeOptions{Lateness: 1 << 62}},
		Handler{Event: func(_ context.Context, ev *event.Event) error {
			rel, _ := filepath.Rel(dir, ev.Source)
			where = append(where, rel+":"+strconv.Itoa(ev.Line))
			return nil
		}})
	require.NoError(t, err)
	assert.Equal(t, int64(0), sum.Stats.RejectedTotal(), "rejected: %v", sum.Stats.Rejected)
	assert.Equal(t, sum.Stats.Read, sum.Stats.Processed)
	assert.Equal(t, int64(3), sum.Stats.Processed, "one record in each file")
	assert.ElementsMatch(t, []string{"a/old.log.gz:1", "b/security.evtx:1", "c.txt:1"}, where)
}

// TestOpenEVTXAccounting: a gzipped EVTX piped to stdin is read as a file is, and a damaged
// one loses no record silently: read = processed + rejected over its records, the damaged
// ones rejected with their offsets.
func TestOpenEVTXAccounting(t *testing.T) {
	path := shared.Path(t, "sigma", "regression_data", "rules", "windows", "file", "file_event",
		"file_event_win_hktl_netexec_file_indicators", "efc21479-9e83-41da-8cf1-122e06ba8db3.evtx")
	intact, err := os.ReadFile(path)
	require.NoError(t, err)
	damaged := bytes.Clone(intact)
	damaged[4096+512+300] ^= 0xff // a byte of the first chunk's records: its checksum fails
	tests := []struct {
		name               string
		data               []byte
		processed, rejects int64
	}{
		{"intact", intact, 7, 0},
		{"damaged", damaged, 0, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, err := zw.Write(tc.data)
			require.NoError(t, err)
			require.NoError(t, zw.Close())
			opened, err := Open(context.Background(), []string{"-"}, OpenOptions{Stdin: &buf})
			require.NoError(t, err)
			var messages bytes.Buffer
			sum, err := Run(context.Background(), opened.Inputs, Options{Decoder: func() event.Decoder { return evtxDumpDecoder{} },
				Merge: event.MergeOptions{Lateness: 1 << 62}, Messages: &messages}, Handler{Event: func(context.Context, *event.Event) error { return nil }})
			require.NoError(t, err)
			assert.Equal(t, tc.processed, sum.Stats.Processed)
			assert.Equal(t, tc.rejects, sum.Stats.Rejected["bad EVTX record"])
			assert.Equal(t, sum.Stats.Read, sum.Stats.Processed+sum.Stats.RejectedTotal())
			if tc.rejects > 0 {
				assert.Contains(t, messages.String(), "rejected: <stdin>:1: bad EVTX record: record 1 at offset 4608: chunk records checksum mismatch")
			}
		})
	}
}

// TestSummaryCountsEVTXRecords: the summary of a run over an .evtx file counts its records as
// records, and beside a JSON lines file the lines as lines, read ahead or inline.
func TestSummaryCountsEVTXRecords(t *testing.T) {
	evtx := shared.Path(t, "sigma", "regression_data", "rules", "windows", "file", "file_event",
		"file_event_win_hktl_netexec_file_indicators", "efc21479-9e83-41da-8cf1-122e06ba8db3.evtx")
	jsonl := filepath.Join(t.TempDir(), "b.jsonl")
	require.NoError(t, os.WriteFile(jsonl, []byte(eventLine(1, 0)+"\n"+eventLine(2, 0)+"\n"), 0o644))
	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{name: "an EVTX file", files: []string{evtx}, want: "read 7 records from 1 file: 7 events processed, 0 rejected"},
		{name: "EVTX and JSON lines", files: []string{evtx, jsonl}, want: "read 2 lines and 7 records from 2 files: 9 events processed, 0 rejected"},
		{name: "JSON lines", files: []string{jsonl}, want: "read 2 lines from 1 file: 2 events processed, 0 rejected"},
	}
	for _, tc := range tests {
		for _, readAhead := range []int64{-1, 0} {
			t.Run(fmt.Sprintf("%s, read-ahead %d", tc.name, readAhead), func(t *testing.T) {
				opened, err := Open(context.Background(), tc.files, OpenOptions{})
				require.NoError(t, err)
				defer opened.Close()
				decoder := func() event.Decoder { return mixedDecoder{} }
				sum, err := Run(context.Background(), opened.Inputs, Options{Decoder: decoder, Batch: true, ReadAhead: readAhead},
					Handler{Event: func(context.Context, *event.Event) error { return nil }})
				require.NoError(t, err)
				assert.Equal(t, tc.want, sum.String())
			})
		}
	}
}

// mixedDecoder reads normalized events, and evtx_dump records as evtxDumpDecoder does.
type mixedDecoder struct{}

func (mixedDecoder) Decode(line []byte) (*event.Event, *event.Invalid) {
	if bytes.HasPrefix(line, []byte(`{"Event"`)) {
		return evtxDumpDecoder{}.Decode(line)
	}
	return event.Normalized{}.Decode(line)
}
