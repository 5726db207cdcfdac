package winlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// EVTX layout: a 4 KiB file header, then chunks of 64 KiB, each a 512-byte header and
// records.
const (
	evtxMagic       = "ElfFile\x00"
	chunkMagic      = "ElfChnk\x00"
	fileHeaderSize  = 4096
	chunkSize       = 0x10000
	chunkHeaderSize = 512
	recordHeader    = 24 // magic, size, record id, written time
	recordMagic     = "\x2a\x2a\x00\x00"
)

// Reasons a record is rejected.
const (
	ReasonBadEVTX = "bad EVTX record"
	ReasonBadXML  = "bad XML event"
	ReasonBadJSON = "bad JSON record"
)

// evtxReader reads an EVTX file's records, chunk by chunk, from the start of the file.
type evtxReader struct {
	name    string
	r       io.Reader
	offset  int64 // of the next chunk in the file
	chunk   []byte
	pending []jsonl.Line
	buf     []byte
	err     error
	started bool
}

func newEVTXReader(r io.Reader, name string) *evtxReader {
	return &evtxReader{name: name, r: r, chunk: make([]byte, chunkSize)}
}

// Next returns the next record as a JSON line, or the rejection of a damaged one.
func (e *evtxReader) Next() (jsonl.Line, error) {
	for len(e.pending) == 0 {
		if e.err != nil {
			return jsonl.Line{}, e.err
		}
		e.readChunk()
	}
	line := e.pending[0]
	e.pending = e.pending[1:]
	return line, nil
}

// readChunk reads the file header (the first time) or the next chunk into pending, or sets
// err (io.EOF at the end of the file).
func (e *evtxReader) readChunk() {
	if !e.started {
		e.started = true
		head := make([]byte, fileHeaderSize)
		n, err := io.ReadFull(e.r, head)
		switch {
		case err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF):
			e.err = fmt.Errorf("%s: %w", e.name, err)
		case n < fileHeaderSize:
			e.reject(0, 0, fmt.Sprintf("file header truncated at %d bytes", n))
			e.err = io.EOF
		} // a header without its magic is read past: detect found the first chunk's magic
		e.offset = fileHeaderSize
		return
	}
	n, err := io.ReadFull(e.r, e.chunk)
	if err == nil && bytes.HasPrefix(e.chunk, []byte(evtxMagic)) {
		n, err = e.nextFile()
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		if !errors.Is(err, io.EOF) {
			err = fmt.Errorf("%s: chunk at offset %d: %w", e.name, e.offset, err)
		}
		e.err = err
		return
	}
	e.readRecords(e.chunk[:n])
	e.offset += int64(n)
	if n < chunkSize {
		e.err = io.EOF
	}
}

// nextFile reads past the header of another EVTX file where a chunk was due (`cat a.evtx
// b.evtx |`: files are a header and whole chunks, so the next one starts at a chunk's place)
// and fills the chunk buffer with its first chunk.
func (e *evtxReader) nextFile() (int, error) {
	rest := copy(e.chunk, e.chunk[fileHeaderSize:])
	m, err := io.ReadFull(e.r, e.chunk[rest:])
	e.offset += fileHeaderSize
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF // the header's file has no chunk: read what there is
	}
	return rest + m, err
}

// readRecords turns a chunk's records into pending lines: every record of a sound chunk that
// parses, and one rejection per record of a damaged chunk (checksums, truncation), or for the
// chunk when no record can be found in it. An unused chunk (all zeros) holds no record.
func (e *evtxReader) readRecords(data []byte) {
	if !bytes.HasPrefix(data, []byte(chunkMagic)) && allZero(data) {
		return
	}
	if why := chunkFault(data); why != "" {
		e.rejectChunk(data, why)
		return
	}
	le := binary.LittleEndian
	free := int(le.Uint32(data[48:]))
	next, last := le.Uint64(data[8:]), le.Uint64(data[16:]) // record numbers, per the header
	ctx := newChunkCtx(data)
	for off := chunkHeaderSize; off+recordHeader <= free; {
		size, why := recordAt(data, off, free)
		if why != "" {
			e.rejectRest(off, next, last, why)
			return
		}
		e.record(ctx, off, size)
		next = recordID(data, off) + 1
		off += size
	}
}

// maxChunkRecords is the most records a chunk can hold (the smallest record is 28 bytes).
const maxChunkRecords = (chunkSize - chunkHeaderSize) / (recordHeader + 4)

// rejectRest rejects the records of a chunk from the damaged one at off: one per record
// number the chunk's header says is left (from next to last), since the records after a
// damaged header cannot be found.
func (e *evtxReader) rejectRest(off int, next, last uint64, why string) {
	at := e.offset + int64(off)
	if last < next || last-next >= maxChunkRecords {
		e.reject(at, 0, why+"; the rest of the chunk cannot be read")
		return
	}
	e.reject(at, next, why)
	for id := next + 1; id <= last; id++ {
		e.reject(at, id, "the record before it is damaged: the rest of the chunk cannot be read")
	}
}

// chunkFault says what is wrong with a chunk's header or checksums ("" when nothing is).
func chunkFault(data []byte) string {
	if len(data) < chunkSize {
		return fmt.Sprintf("chunk truncated at %d of %d bytes", len(data), chunkSize)
	}
	if string(data[:8]) != chunkMagic {
		return "not an EVTX chunk (bad magic)"
	}
	le := binary.LittleEndian
	h := crc32.NewIEEE()
	h.Write(data[:120])
	h.Write(data[128:chunkHeaderSize])
	if h.Sum32() != le.Uint32(data[124:]) {
		return "chunk header checksum mismatch"
	}
	free := le.Uint32(data[48:])
	if free < chunkHeaderSize || free > chunkSize {
		return fmt.Sprintf("chunk free space offset %d out of range", free)
	}
	if crc32.ChecksumIEEE(data[chunkHeaderSize:free]) != le.Uint32(data[52:]) {
		return "chunk records checksum mismatch"
	}
	return ""
}

// recordAt checks the record header at off: its magic, and a size that fits before end and
// is repeated at the record's end.
func recordAt(data []byte, off, end int) (int, string) {
	if string(data[off:off+4]) != recordMagic {
		return 0, "no record header (bad magic)"
	}
	size := int(binary.LittleEndian.Uint32(data[off+4:]))
	if size < recordHeader+4 || off+size > end {
		return 0, fmt.Sprintf("record size %d does not fit in its chunk", size)
	}
	if int(binary.LittleEndian.Uint32(data[off+size-4:])) != size {
		return 0, "record size and its copy at the record's end differ"
	}
	return size, ""
}

func recordID(data []byte, off int) uint64 {
	if off+16 > len(data) {
		return 0
	}
	return binary.LittleEndian.Uint64(data[off+8:])
}

// record parses the record at off and queues its JSON, or its rejection.
func (e *evtxReader) record(ctx *chunkCtx, off, size int) {
	id := recordID(ctx.data, off)
	r := &cursor{c: ctx, off: off + recordHeader, end: off + size - 4}
	ops, err := parseStream(r, 0)
	var tree fragment
	if err == nil {
		tree, err = build(ops, nil)
	}
	root := rootElement(tree)
	if err == nil && root == nil {
		err = errors.New("no element")
	}
	if err == nil {
		e.buf, err = appendRecord(e.buf[:0], root)
	}
	if err != nil {
		e.reject(e.offset+int64(off), id, err.Error())
		return
	}
	e.pending = append(e.pending, jsonl.Line{Number: lineNumber(id), Text: bytes.Clone(e.buf)})
}

// rootElement is the first element of a record's tree.
func rootElement(tree fragment) *node {
	for _, k := range tree {
		if n, ok := k.(*node); ok {
			return n
		}
	}
	return nil
}

// rejectChunk rejects every record found in a damaged chunk, or the chunk itself.
func (e *evtxReader) rejectChunk(data []byte, why string) {
	end := len(data)
	found := false
	off := chunkHeaderSize
	for ; off+recordHeader <= end; found = true {
		size, bad := recordAt(data, off, end)
		if bad != "" {
			break
		}
		e.reject(e.offset+int64(off), recordID(data, off), why)
		off += size
	}
	if off+recordHeader <= end && string(data[off:off+4]) == recordMagic { // a record cut short
		e.reject(e.offset+int64(off), recordID(data, off), why)
		found = true
	}
	if !found {
		e.reject(e.offset, 0, why)
	}
}

// reject queues a rejection of the record (or chunk, id 0) at offset in the file.
func (e *evtxReader) reject(offset int64, id uint64, why string) {
	detail := fmt.Sprintf("offset %d: %s", offset, why)
	if id != 0 {
		detail = fmt.Sprintf("record %d at offset %d: %s", id, offset, why)
	}
	text := appendString([]byte(`{"evtx_rejected":`), detail)
	e.pending = append(e.pending, jsonl.Line{Number: lineNumber(id), Text: append(text, '}'), Reason: ReasonBadEVTX, Detail: detail})
}

// lineNumber is a record id as a line number (0 when there is none).
func lineNumber(id uint64) int {
	if id > 1<<62 {
		return 0
	}
	return int(id)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
