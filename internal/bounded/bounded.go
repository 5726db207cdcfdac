// Package bounded checks untrusted input against size, nesting-depth and node-count limits
// before a parser sees it, so that a hostile bundle, pack or profile fails fast with an error
// naming the limit, the file and the byte offset instead of exhausting the stack, memory or
// time of the parser behind it (gjson and stix2 for bundles, goccy/go-yaml for YAML).
//
// The checks are linear scans that allocate nothing per byte. Reading is streaming: Read and
// ReadFile stop at the size limit, and ReadJSON also stops at the first byte that cannot
// start or continue a JSON document, so that /dev/zero, an endless pipe or a 2 GB file of
// garbage is an error after at most one buffer. The limits (see the constants) are far
// above what a real input needs; each is named in its error.
package bounded

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// The limits. Each is an order of magnitude above what real inputs need (the reasons are
// given with each); docs/events.md ("Limits") lists them for users.
const (
	// MaxBundleSize is the largest STIX bundle file: the full enterprise ATT&CK 18 release
	// is about 45 MB; loading uses about 5× the file size in memory.
	MaxBundleSize = 512 << 20
	// MaxArtifactSize is the largest plan artifact (`run --plans`): every enterprise, mobile
	// and ICS analytic compiles to about 6 MB.
	MaxArtifactSize = 256 << 20
	// MaxJSONDepth is the deepest nesting of arrays and objects in a bundle or a plan
	// artifact: both need fewer than 10 levels; gjson and encoding/json recurse per level.
	MaxJSONDepth = 64
	// MaxYAMLSize is the largest YAML file (pack binding, profile, taxonomy): the largest
	// shipped one is about 10 KB.
	MaxYAMLSize = 8 << 20
	// MaxYAMLDepth is the deepest nesting of YAML collections, block and flow together:
	// stixcel's formats need fewer than 10 levels; goccy's parser recurses per level.
	MaxYAMLDepth = 64
	// MaxYAMLNodes bounds the YAML nodes of a file, counted about as goccy counts tokens
	// (scalars, keys, "- " entries, brackets, commas): the largest shipped file has about
	// 1,500, a profile setting three values for every enterprise analytic about 20,000.
	// goccy parses a flow list of 50,000 nodes in about 0.2 s of CPU and 46 MB.
	MaxYAMLNodes = 50_000
	// MaxYAMLKeys is the most keys of one block mapping: goccy's parser takes time
	// quadratic in them (5,000 keys: 0.2 s of CPU; 40,000: 12 s), and a profile keyed by
	// every enterprise analytic needs about 1,800. With MaxYAMLNodes, the worst file (three
	// mappings of 5,000 keys) costs about 0.6 s of CPU and 53 MB (BenchmarkWorstWithinLimits
	// in yamlpos).
	MaxYAMLKeys = 5_000
)

// bom is the UTF-8 byte order mark, skipped at the start of a file.
var bom = []byte{0xEF, 0xBB, 0xBF}

// TrimBOM returns data without a leading UTF-8 byte order mark.
func TrimBOM(data []byte) []byte { return bytes.TrimPrefix(data, bom) }

// LimitError is input that breaks a limit or cannot be the start of what the reader
// expects, at a byte offset of the file.
type LimitError struct {
	File   string
	Offset int64 // 0-based byte offset of the first byte at fault
	Line   int   // 1-based; 0 when not counted
	Col    int   // 1-based byte column; 0 when not counted
	Msg    string
	// Syntax is set when the input is malformed rather than too large or too deep: a
	// parser's own message about it is usually better.
	Syntax bool
}

// Error renders "file: msg at offset N (line L, column C)".
func (e *LimitError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: %s at offset %d (line %d, column %d)", e.File, e.Msg, e.Offset, e.Line, e.Col)
	}
	return fmt.Sprintf("%s: %s at offset %d", e.File, e.Msg, e.Offset)
}

// sizeError is the error for a file longer than limit bytes.
func sizeError(file string, limit int64, what string) *LimitError {
	return &LimitError{File: file, Offset: limit,
		Msg: fmt.Sprintf("the file is larger than the %s size limit of %s", what, Size(limit))}
}

// Size renders a byte count the way the limits are documented: "512 MiB", "8 MiB", "100 B".
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// chunk is how much Read asks for at a time.
const chunk = 64 << 10

// Read reads r to its end, failing with a *LimitError once it yields more than limit bytes
// (what names the kind of input in the message, e.g. "bundle"). check, when not nil, sees
// every chunk as it arrives and may stop the read with its error, which is returned with
// the bytes read so far, that chunk included. Bytes are read into chunks joined at the end,
// so that an endless input costs the limit in memory, not twice it.
func Read(file string, r io.Reader, limit int64, what string, check func([]byte) error) ([]byte, error) {
	return read(file, r, limit, what, check, 0)
}

// read is Read with a first chunk sized for hint bytes (and one more, to see the end).
func read(file string, r io.Reader, limit int64, what string, check func([]byte) error, hint int64) ([]byte, error) {
	var chunks [][]byte
	total := int64(0)
	buf := make([]byte, 0, min(limit, max(hint, chunk))+1)
	for {
		if len(buf) == cap(buf) {
			chunks = append(chunks, buf)
			buf = make([]byte, 0, min(limit+1-total, chunk))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		total += int64(n)
		if n > 0 && check != nil {
			if cerr := check(buf[len(buf) : len(buf)+n]); cerr != nil {
				return join(chunks, buf[:len(buf)+n]), cerr
			}
		}
		buf = buf[:len(buf)+n]
		if total > limit {
			return nil, sizeError(file, limit, what)
		}
		if errors.Is(err, io.EOF) {
			return join(chunks, buf), nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
	}
}

// join returns the chunks and last as one slice (last itself when there are no chunks).
func join(chunks [][]byte, last []byte) []byte {
	if len(chunks) == 0 {
		return last
	}
	return bytes.Join(append(chunks, last), nil)
}

// ReadFile is Read of a named file. A regular file larger than limit is refused before
// anything is read.
func ReadFile(path string, limit int64, what string, check func([]byte) error) ([]byte, error) {
	return ReadFS(osFS{}, path, path, limit, what, check)
}

// ReadFS is ReadFile of the file name in fsys; file is the name errors give it.
func ReadFS(fsys fs.FS, name, file string, limit int64, what string, check func([]byte) error) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		if size = st.Size(); size > limit {
			return nil, sizeError(file, limit, what)
		}
	}
	return read(file, f, limit, what, check, size)
}

// osFS opens names of the operating system as os.Open does (os.DirFS wants a root).
type osFS struct{}

func (osFS) Open(name string) (fs.File, error) { return os.Open(name) }
