package winlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

// regressionPairs are the .evtx files of the shared Sigma regression data with the
// evtx_dump JSON beside each.
func regressionPairs(t testing.TB) []string {
	root := shared.Path(t, "sigma", "regression_data")
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".evtx") {
			files = append(files, path)
		}
		return err
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// decodeAll decodes every JSON value of data (objects back to back), numbers kept exact.
func decodeAll(t testing.TB, data []byte) []any {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, v)
	}
}

// systemTime takes the record's SystemTime out of it, as an instant, and its precision:
// evtx_dump versions write it with 6 decimals (truncated) or 9 (one of the files).
func systemTime(t testing.TB, rec any) (time.Time, time.Duration) {
	tc := rec.(map[string]any)["Event"].(map[string]any)["System"].(map[string]any)["TimeCreated"].(map[string]any)
	attrs := tc["#attributes"].(map[string]any)
	ts, err := time.Parse(time.RFC3339Nano, attrs["SystemTime"].(string))
	require.NoError(t, err)
	s := attrs["SystemTime"].(string)
	digits := len(s) - strings.IndexByte(s, '.') - len(".Z")
	delete(attrs, "SystemTime")
	return ts, time.Duration(math.Pow10(9 - digits))
}

// editedJSON are the fields where a regression JSON file says other than its .evtx (the JSON
// was edited by hand): by file name and EventData field, what the .evtx holds.
var editedJSON = map[string]map[string]string{
	"ad691d92-15f2-4181-9aa4-723c74f9ddc3.json": {"ParentCommandLine": `C:\Windows\Explorer.EXE`},
}

// TestRegressionEVTX: every .evtx of the shared regression data reads as the evtx_dump JSON
// beside it: the same records in the same order, the same System fields (times as instants),
// EventData and UserData, nothing rejected.
func TestRegressionEVTX(t *testing.T) {
	for _, path := range regressionPairs(t) {
		name, _ := filepath.Rel(shared.Dir(t), path)
		t.Run(name, func(t *testing.T) {
			wantPath := strings.TrimSuffix(path, ".evtx") + ".json"
			want, err := os.ReadFile(wantPath)
			require.NoError(t, err)
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			lines := NewLines(f, path)
			var got bytes.Buffer
			for {
				line, err := lines.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				require.Empty(t, line.Reason, "rejected: %s", line.Detail)
				got.Write(line.Text)
				got.WriteByte('\n')
			}
			assert.Equal(t, FormatEVTX, lines.Format())
			gotRecs, wantRecs := decodeAll(t, got.Bytes()), decodeAll(t, want)
			require.Len(t, gotRecs, len(wantRecs), "records")
			for i := range wantRecs {
				want, _ := systemTime(t, wantRecs[i])
				got, precision := systemTime(t, gotRecs[i])
				assert.Equal(t, time.Microsecond, precision, "record %d: SystemTime has microseconds", i)
				assert.Equal(t, want.Truncate(time.Microsecond), got, "record %d: SystemTime", i)
				for field, v := range editedJSON[filepath.Base(wantPath)] {
					wantRecs[i].(map[string]any)["Event"].(map[string]any)["EventData"].(map[string]any)[field] = v
				}
				assert.Equal(t, wantRecs[i], gotRecs[i], "record %d", i)
			}
		})
	}
}

// TestConcatenatedEVTX: `cat a.evtx b.evtx ... | stixcel run -` reads every file's records,
// as the files one by one give them: each file is a header and whole chunks, so the next
// file's header stands where a chunk was due.
func TestConcatenatedEVTX(t *testing.T) {
	pairs := regressionPairs(t)
	require.Greater(t, len(pairs), 20)
	var all bytes.Buffer
	var want [][]byte
	for _, path := range pairs[:20] {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		all.Write(data)
		want = append(want, recordsOf(t, bytes.NewReader(data), path)...)
	}
	got := recordsOf(t, &all, "<stdin>")
	assert.Equal(t, want, got)
}

// recordsOf is every record of an input as JSON text; a rejection fails the test.
func recordsOf(t *testing.T, r io.Reader, name string) [][]byte {
	t.Helper()
	lines := NewLines(r, name)
	var out [][]byte
	for {
		line, err := lines.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		require.Empty(t, line.Reason, "rejected: %s", line.Detail)
		out = append(out, bytes.Clone(line.Text))
	}
}
