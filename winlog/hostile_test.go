package winlog

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

// sevenRecords is a shared regression .evtx of one chunk holding 7 records.
func sevenRecords(t testing.TB) []byte {
	path := shared.Path(t, "sigma", "regression_data", "rules", "windows", "file", "file_event",
		"file_event_win_hktl_netexec_file_indicators", "efc21479-9e83-41da-8cf1-122e06ba8db3.evtx")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

// readAll reads every line of data: the records and the rejections, with the rejections'
// details.
func readAll(t testing.TB, data []byte) (records int, rejected []string) {
	lines := NewLines(bytes.NewReader(data), "x.evtx")
	for n := 0; ; n++ {
		require.Less(t, n, 1<<20, "Next never ends")
		line, err := lines.Next()
		if errors.Is(err, io.EOF) {
			return records, rejected
		}
		require.NoError(t, err)
		if line.Reason != "" {
			rejected = append(rejected, line.Reason+": "+line.Detail)
			continue
		}
		records++
	}
}

// fixChunkChecksums makes a chunk's checksums match its (altered) content.
func fixChunkChecksums(chunk []byte) {
	le := binary.LittleEndian
	free := le.Uint32(chunk[48:])
	le.PutUint32(chunk[52:], crc32.ChecksumIEEE(chunk[chunkHeaderSize:free]))
	h := crc32.NewIEEE()
	h.Write(chunk[:120])
	h.Write(chunk[128:chunkHeaderSize])
	le.PutUint32(chunk[124:], h.Sum32())
}

// TestHostileEVTX: damaged EVTX never crashes and loses no record silently: each record of a
// chunk whose checksums fail, or that is cut short, is rejected with its offset; a damaged
// record is rejected and the records before it are read.
func TestHostileEVTX(t *testing.T) {
	const chunk0 = fileHeaderSize
	firstRecord := chunk0 + chunkHeaderSize
	tests := []struct {
		name     string
		damage   func(b []byte) []byte
		records  int
		rejected []string // substrings of the rejections, in order
	}{
		{"intact", func(b []byte) []byte { return b }, 7, nil},
		{"a damaged file magic", func(b []byte) []byte {
			copy(b, "garbage!")
			return b
		}, 7, nil},
		{"a flipped byte in a record", func(b []byte) []byte {
			b[firstRecord+200] ^= 0xff
			return b
		}, 0, repeat("chunk records checksum mismatch", 7)},
		{"a flipped byte in the chunk header", func(b []byte) []byte {
			b[chunk0+20] ^= 0xff
			return b
		}, 0, repeat("chunk header checksum mismatch", 7)},
		{"cut inside the chunk", func(b []byte) []byte { return b[:chunk0+6000] }, 0, []string{
			"record 1 at offset 4608: chunk truncated at 6000 of 65536 bytes", "record 2 at offset 7080", "record 3 at offset 7864",
			"record 4 at offset 8648", "record 5 at offset 9416: chunk truncated",
		}},
		{"cut inside the file header", func(b []byte) []byte { return b[:1000] }, 0, []string{"file header truncated at 1000 bytes"}},
		{"a record larger than its chunk", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[firstRecord+4:], 1<<31)
			fixChunkChecksums(b[chunk0 : chunk0+chunkSize])
			return b
		}, 0, append([]string{"record 1 at offset 4608: record size 2147483648 does not fit in its chunk"},
			repeat("at offset 4608: the record before it is damaged: the rest of the chunk cannot be read", 6)...)},
		{"a damaged third record", func(b []byte) []byte {
			third := firstRecord
			for range 2 {
				third += int(binary.LittleEndian.Uint32(b[third+4:]))
			}
			b[third] = 'X'
			fixChunkChecksums(b[chunk0 : chunk0+chunkSize])
			return b
		}, 2, []string{"record 3 at offset 7864: no record header (bad magic)", "record 4 at offset 7864: the record before it is damaged",
			"record 5 at", "record 6 at", "record 7 at"}},
		{"a chunk of garbage after the first", func(b []byte) []byte {
			return append(b, bytes.Repeat([]byte("garbage!"), chunkSize/8)...)
		}, 7, []string{"offset 69632: not an EVTX chunk (bad magic)"}},
		{"a binary XML token no one knows", func(b []byte) []byte {
			b[firstRecord+recordHeader] = 0x7f
			fixChunkChecksums(b[chunk0 : chunk0+chunkSize])
			return b
		}, 6, []string{"record 1 at offset 4608: unknown binary XML token 0x7f"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			records, rejected := readAll(t, tc.damage(sevenRecords(t)))
			assert.Equal(t, tc.records, records, "records read")
			require.Len(t, rejected, len(tc.rejected), "rejected: %q", rejected)
			for i, want := range tc.rejected {
				assert.Contains(t, rejected[i], want)
				assert.True(t, strings.HasPrefix(rejected[i], ReasonBadEVTX), rejected[i])
				assert.Contains(t, rejected[i], "offset ")
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// FuzzEVTX: any bytes after the EVTX magic are read to their end without a panic; every
// line is a record or a rejection that says where.
func FuzzEVTX(f *testing.F) {
	seed := []byte(evtxMagic + strings.Repeat("\x00", fileHeaderSize-len(evtxMagic)))
	if dir := os.Getenv(shared.EnvVar); dir != "" {
		if data, err := os.ReadFile(dir + "/sigma/regression_data/rules/windows/file/file_event/file_event_win_hktl_netexec_file_indicators/efc21479-9e83-41da-8cf1-122e06ba8db3.evtx"); err == nil {
			seed = data
		}
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < len(evtxMagic) {
			return
		}
		data = append([]byte(evtxMagic), data[len(evtxMagic):]...)
		// the fuzzer mutates the content; give it valid checksums so that it reaches the records
		for off := fileHeaderSize; off+chunkSize <= len(data); off += chunkSize {
			if free := binary.LittleEndian.Uint32(data[off+48:]); free >= chunkHeaderSize && free <= chunkSize {
				fixChunkChecksums(data[off : off+chunkSize])
			}
		}
		_, rejected := readAll(t, data)
		for _, r := range rejected {
			if !strings.Contains(r, "offset ") {
				t.Fatalf("a rejection without its offset: %s", r)
			}
		}
	})
}

// FuzzLines: any input, whatever it is recognised as (XML, JSON streams, gzip, UTF-16), is
// read to its end without a panic, every rejection with a reason.
func FuzzLines(f *testing.F) {
	for _, seed := range []string{
		"<Event><System><EventID>4624</EventID></System><EventData><Data Name='a'>x</Data></EventData></Event>\n",
		"<Events>\n  <Event>\n    <System/>\n  </Event>\n</Events>\n",
		"Record 1\n{\n  \"Event\": {\"System\": {}}\n}\n",
		"[{\"a\": 1},\n {\"b\": [2, {\"c\": \"}\"}]}]",
		"{\"a\":1}\n{\"b\":2}\n",
		"\xff\xfe<\x00E\x00v\x00e\x00n\x00t\x00/\x00>\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := NewLines(bytes.NewReader(data), "x")
		for n := 0; ; n++ {
			if n > len(data)+10 {
				t.Fatalf("more records than bytes: %d", n)
			}
			line, err := lines.Next()
			if err != nil {
				return
			}
			if line.Reason == "" && !json.Valid(line.Text) && lines.Format() != FormatJSONLines {
				t.Fatalf("a record that is not JSON: %q", line.Text)
			}
		}
	})
}

// TestMutatedEVTX: 2,000 seeded random mutations of a file (bytes anywhere, the chunk's
// checksums made to match so that the records are parsed) never panic and end, every
// rejection saying where: the fuzz target's property, run on every test run.
func TestMutatedEVTX(t *testing.T) {
	seed := sevenRecords(t)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		data := bytes.Clone(seed)
		for range 1 + r.IntN(20) {
			at := fileHeaderSize + r.IntN(4000)
			if r.IntN(2) == 0 {
				at = r.IntN(len(data))
			}
			data[at] = byte(r.IntN(256))
		}
		copy(data, evtxMagic) // a damaged magic is a test of its own
		chunk := data[fileHeaderSize : fileHeaderSize+chunkSize]
		if free := binary.LittleEndian.Uint32(chunk[48:]); free >= chunkHeaderSize && free <= chunkSize {
			fixChunkChecksums(chunk)
		}
		_, rejected := readAll(t, data)
		for _, rej := range rejected {
			require.Contains(t, rej, "offset ", "mutation %d", i)
		}
	}
}
