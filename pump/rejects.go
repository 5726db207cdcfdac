package pump

import (
	"bufio"

	"github.com/stixcel/stixcel/internal/outfile"
)

// RejectsFile writes rejected lines (Options.Rejects) to an output file, so that they can be
// fixed and replayed; the file is put in place by Close, once (outfile: atomically, never
// over an input). A nil *RejectsFile writes nothing, and its methods do nothing.
type RejectsFile struct {
	file *outfile.File
	w    *bufio.Writer
	err  error // the first write's error, reported by Close
}

// CreateRejects starts the rejects file at path (outfile.Create: never over one of inputs);
// "" gives a nil *RejectsFile, which writes nothing.
func CreateRejects(path string, inputs *outfile.Inputs) (*RejectsFile, error) {
	if path == "" {
		return nil, nil
	}
	f, err := outfile.Create(path, inputs)
	if err != nil {
		return nil, err
	}
	return NewRejectsFile(f), nil
}

// NewRejectsFile writes rejected lines to f.
func NewRejectsFile(f *outfile.File) *RejectsFile {
	return &RejectsFile{file: f, w: bufio.NewWriter(f)}
}

// Write implements io.Writer; after an error, writes fail with it. A nil *RejectsFile (no
// --rejects) takes the lines and writes nothing, so that it may be Options.Rejects as it is.
func (rf *RejectsFile) Write(p []byte) (int, error) {
	if rf == nil {
		return len(p), nil
	}
	if rf.err != nil {
		return 0, rf.err
	}
	n, err := rf.w.Write(p)
	rf.err = err
	return n, err
}

// Abort discards the lines unless Close put them in place: a run that stops before reading
// leaves the previous file.
func (rf *RejectsFile) Abort() {
	if rf != nil && rf.file != nil {
		rf.file.Abort()
		rf.file = nil
	}
}

// Close flushes the lines and puts the file in place once (a failed write leaves the
// previous file as it was); later calls return nil.
func (rf *RejectsFile) Close() error {
	if rf == nil || rf.file == nil {
		return nil
	}
	err := rf.err
	if err == nil {
		err = rf.w.Flush()
	}
	if err == nil {
		err = rf.file.Commit()
	}
	rf.file.Abort()
	rf.file = nil
	return err
}
