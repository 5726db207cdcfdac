package event

import (
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRejectionMessages asserts what a user reads on stderr for a bad line: a byte order
// mark is skipped on line 1 (it was "invalid character 'ï'"), JSON errors give the 1-based
// column of the character at fault, and a long bad value is quoted by a bounded prefix and
// its length (a 5 MB time was echoed whole).
func TestRejectionMessages(t *testing.T) {
	const good = `{"time":"2026-03-20T09:00:00Z","log_source":"x"}`
	huge := strings.Repeat("9", 5<<20)
	tests := []struct {
		name  string
		input string
		want  []string // every rejection's Error(), in order; none when empty
	}{
		{name: "a byte order mark on line 1 is skipped", input: "\xef\xbb\xbf" + good + "\n" + good + "\n"},
		{name: "a byte order mark on line 2 is not", input: good + "\n\xef\xbb\xbf" + good + "\n",
			want: []string{"x.jsonl:2: invalid JSON: invalid character 'ï' looking for beginning of value at column 1"}},
		{name: "column of a bad character", input: `{"time": 1x}` + "\n",
			want: []string{"x.jsonl:1: invalid JSON: invalid character 'x' after object key:value pair at column 11"}},
		{name: "columns count characters, not bytes", input: `{"é": 1x}` + "\n",
			want: []string{"x.jsonl:1: invalid JSON: invalid character 'x' after object key:value pair at column 8"}},
		{name: "column of trailing data", input: good + ` {}` + "\n",
			want: []string{"x.jsonl:1: invalid JSON: trailing data after the JSON value at column 50"}},
		{name: "a 5 MB time is quoted by its first 80 bytes", input: `{"time":"` + huge + `","log_source":"x"}` + "\n",
			want: []string{`x.jsonl:1: invalid time: "` + huge[:80] + `"… (5,242,880 bytes) is not RFC 3339`}},
		{name: "a short time is quoted whole", input: `{"time":"yesterday","log_source":"x"}` + "\n",
			want: []string{`x.jsonl:1: invalid time: "yesterday" is not RFC 3339`}},
		{name: "a long time is cut at a character boundary", input: `{"time":"` + strings.Repeat("é", 100) + `","log_source":"x"}` + "\n",
			want: []string{`x.jsonl:1: invalid time: "` + strings.Repeat("é", 40) + `"… (200 bytes) is not RFC 3339`}},
	}
	for _, tc := range tests {
		for _, dec := range []Decoder{Normalized{}, Normalized{Fields: true}} {
			t.Run(tc.name, func(t *testing.T) {
				res := readAll(t, tc.input, "x.jsonl", dec)
				var got []string
				for _, rej := range res.rejections {
					got = append(got, rej.Error())
				}
				assert.Equal(t, tc.want, got)
			})
		}
	}
}

// TestReadErrorNamesTheFileOnce: a read error reaches the user through the Merger as
// "FILE: line N: read: reason", with the file named once (it was "FILE: FILE: line N: read
// FILE: reason").
func TestReadErrorNamesTheFileOnce(t *testing.T) {
	bad := &fs.PathError{Op: "read", Path: "/data/x.jsonl", Err: errors.New("is a directory")}
	m := NewMerger(MergeOptions{}, NewReader(errReader{bad}, "/data/x.jsonl", nil))
	_, _, err := m.Next()
	require.Error(t, err)
	assert.Equal(t, "/data/x.jsonl: line 1: read: is a directory", err.Error())
	assert.Equal(t, 1, strings.Count(err.Error(), "/data/x.jsonl"))
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

var _ io.Reader = errReader{}
