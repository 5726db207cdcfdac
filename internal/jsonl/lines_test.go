package jsonl

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type gotLine struct {
	Number int
	Text   string
	Reason string
	Detail string
}

func readLines(t *testing.T, input string) []gotLine {
	t.Helper()
	r := NewReader(strings.NewReader(input), "x.jsonl")
	var out []gotLine
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, gotLine{l.Number, string(l.Text), l.Reason, l.Detail})
	}
}

func TestReaderLines(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []gotLine
	}{
		{name: "nothing", input: ""},
		{name: "a lone newline ends one empty line", input: "\n", want: []gotLine{{1, "", ReasonEmptyLine, ""}}},
		{name: "no final newline", input: "a\r\nb", want: []gotLine{{1, "a", "", ""}, {2, "b", "", ""}}},
		{name: "white space only", input: "a\n \t\r\nb\n", want: []gotLine{{1, "a", "", ""}, {2, " \t", ReasonEmptyLine, ""}, {3, "b", "", ""}}},
		{name: "invalid UTF-8", input: "ok\n{\"a\":\"\xe9t\xe9\"}\n", want: []gotLine{
			{1, "ok", "", ""}, {2, "{\"a\":\"\xe9t\xe9\"}", ReasonInvalidUTF8, "byte 0xe9 at column 7"},
		}},
		{name: "a surrogate encoded in UTF-8 is invalid", input: "\xed\xa0\x80\n", want: []gotLine{{1, "\xed\xa0\x80", ReasonInvalidUTF8, "byte 0xed at column 1"}}},
		{name: "the column of a bad byte counts characters", input: "{\"é\":\"\xff\"}\n", want: []gotLine{{1, "{\"é\":\"\xff\"}", ReasonInvalidUTF8, "byte 0xff at column 7"}}},
		{name: "a byte order mark on line 1 is skipped", input: "\xef\xbb\xbf{}\n\xef\xbb\xbf{}\n", want: []gotLine{{1, "{}", "", ""}, {2, "\xef\xbb\xbf{}", "", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, readLines(t, tc.input))
		})
	}
}

func TestReaderLongLines(t *testing.T) {
	atLimit := strings.Repeat("a", MaxLineBytes)
	over := strings.Repeat("b", MaxLineBytes+1)
	tests := []struct {
		name    string
		line    string
		tooLong bool
	}{
		{name: "5 MB", line: strings.Repeat("c", 5<<20)},
		{name: "at the limit", line: atLimit},
		{name: "at the limit with CRLF", line: atLimit + "\r"},
		{name: "one byte over", line: over, tooLong: true},
		{name: "far over", line: over + over, tooLong: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, end := range []string{"\n", ""} { // with and without a final newline
				input := tc.line
				if end != "" {
					input += end + "next\n"
				}
				got := readLines(t, input)
				first := got[0]
				assert.Equal(t, 1, first.Number)
				if !tc.tooLong {
					assert.Empty(t, first.Reason)
					assert.Len(t, first.Text, len(strings.TrimSuffix(tc.line, "\r")))
				} else {
					assert.Equal(t, ReasonLineTooLong, first.Reason)
					assert.Equal(t, "longer than 16777216 bytes (only the first 1048576 are kept)", first.Detail)
					assert.Equal(t, tc.line[:KeptBytes], first.Text)
				}
				if end != "" {
					require.Len(t, got, 2)
					assert.Equal(t, gotLine{2, "next", "", ""}, got[1])
				}
			}
		})
	}
}

func TestReaderError(t *testing.T) {
	r := NewReader(io.MultiReader(strings.NewReader("a\n"), iotest.ErrReader(errors.New("disk on fire"))), "x.jsonl")
	l, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, "a", string(l.Text))
	_, err = r.Next()
	require.EqualError(t, err, "x.jsonl: line 2: disk on fire")
}
