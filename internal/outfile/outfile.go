// Package outfile writes the CLI's output files (compile -o, run --rejects, test --junit) so
// that neither a failed write nor a mistyped name can destroy data.
//
// Atomic: Create writes to a temporary file in the output's directory (named
// ".NAME.tmp-RANDOM", created with the permissions of a new file, or those of the file it
// replaces); Commit syncs it to disk and renames it over the output, so that readers see
// the old file or the whole new one, never a part. Abort, or a failed Commit, removes the
// temporary file and leaves the old output as it was. An output that names a symlink
// replaces the file the link points to, keeping the link. An output that exists and is not
// a regular file (a device, a FIFO), or that names a stream of the process (/dev/stdout,
// /proc/self/fd/1), cannot be replaced: it is opened and written in place, as before.
//
// Never an input: Create refuses an output that is one of the command's Inputs, compared by
// identity (os.SameFile, after symlinks, so that a hard link, a symlink or another spelling
// of the path is caught), or that lies inside an input directory, where the next load would
// read it as an input.
package outfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// ErrInput is the error (wrapped) of an output that would overwrite an input.
var ErrInput = errors.New("an output may not overwrite an input")

// Inputs are the files and directories a command reads. The zero value has none.
type Inputs struct {
	paths []string
	files []namedInfo
}

type namedInfo struct {
	name string
	info fs.FileInfo
}

// Add adds input files or directories as the user named them; "-" (stdin) and "" are
// skipped (see AddFile).
func (in *Inputs) Add(paths ...string) {
	for _, p := range paths {
		if p != "" && p != "-" {
			in.paths = append(in.paths, p)
		}
	}
}

// AddFile adds an open input such as stdin: when it is a regular file (a shell redirection
// `< events.jsonl`), an output may not be that file either.
func (in *Inputs) AddFile(name string, f *os.File) {
	if f == nil {
		return
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		in.files = append(in.files, namedInfo{name: name, info: st})
	}
}

// AddStdin adds the process's stdin (AddFile, named "<stdin>") when r is a file; any other
// reader (a test's) has no file to protect.
func (in *Inputs) AddStdin(r io.Reader) {
	if f, ok := r.(*os.File); ok {
		in.AddFile("<stdin>", f)
	}
}

// Check returns an error wrapping ErrInput when path is an input: the same file as an input
// file, or a file inside an input directory (both after symlinks). A path that does not
// exist yet is an input only if it lies inside an input directory.
func (in *Inputs) Check(path string) error {
	out, outErr := os.Stat(path)
	dir := filepath.Dir(path)
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		dir = filepath.Dir(resolved)
	}
	if outErr == nil {
		for _, f := range in.files {
			if os.SameFile(out, f.info) {
				return fmt.Errorf("%s is the input %s: %w", path, f.name, ErrInput)
			}
		}
	}
	for _, p := range in.paths {
		st, err := os.Stat(p)
		switch {
		case err != nil:
			continue
		case st.IsDir():
			if inside(dir, st) {
				return fmt.Errorf("%s is inside the input directory %s: %w", path, p, ErrInput)
			}
		case outErr == nil && os.SameFile(out, st):
			return fmt.Errorf("%s is the input %s: %w", path, p, ErrInput)
		}
	}
	return nil
}

// inside reports whether dir, or one of its ancestors after symlinks, is the directory dirInfo.
func inside(dir string, dirInfo fs.FileInfo) bool {
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	abs, err := filepath.Abs(resolved)
	if err != nil {
		return false
	}
	for {
		if st, err := os.Stat(abs); err == nil && os.SameFile(st, dirInfo) {
			return true
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return false
		}
		abs = parent
	}
}

// File is an output being written. Write to it, then Commit it or Abort it.
type File struct {
	f      *os.File
	name   string // the output as the user named it, cited in errors
	target string // the file Commit replaces (symlinks resolved)
	tmp    string // the temporary file; "" when written in place
	done   bool
}

// Create starts writing the output path, after checking that it is none of inputs (nil: no
// inputs). The output itself is not touched until Commit.
func Create(path string, inputs *Inputs) (*File, error) {
	if inputs != nil {
		if err := inputs.Check(path); err != nil {
			return nil, err
		}
	}
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	}
	st, err := os.Stat(target)
	switch {
	case err == nil && st.IsDir():
		return nil, &fs.PathError{Op: "create", Path: path, Err: errors.New("is a directory")}
	case err == nil && (!st.Mode().IsRegular() || isDevPath(path)):
		f, err := os.Create(path) // as the shell's `>` opens it
		if err != nil {
			return nil, renamed(err, "open", path)
		}
		return &File{f: f, name: path, target: target}, nil
	}
	f, err := createTemp(target)
	if err != nil {
		return nil, renamed(err, "create", path)
	}
	if st != nil {
		_ = f.Chmod(st.Mode().Perm()) // keep the replaced file's permissions
	}
	return &File{f: f, name: path, target: target, tmp: f.Name()}, nil
}

// isDevPath reports whether path names a stream of the process (/dev/stdout, /dev/fd/1,
// /proc/self/fd/1): even when it leads to a regular file (a shell redirection), that file
// is written in place, through the descriptor, not replaced.
func isDevPath(path string) bool {
	clean := filepath.ToSlash(filepath.Clean(path))
	return strings.HasPrefix(clean, "/dev/") || strings.HasPrefix(clean, "/proc/")
}

// createTemp creates a new file next to target with the permissions a new file gets (0666
// less the umask).
func createTemp(target string) (*os.File, error) {
	dir, base := filepath.Split(target)
	for range 100 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(rand.Uint64()%1e9, 10))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no unused temporary name next to %s", target)
}

// Name returns the output's path as given to Create.
func (f *File) Name() string { return f.name }

// Write writes p; an error names the output, not the temporary file.
func (f *File) Write(p []byte) (int, error) {
	n, err := f.f.Write(p)
	if err != nil {
		err = renamed(err, "write", f.name)
	}
	return n, err
}

// Commit makes the output the data written: it syncs the temporary file, closes it and
// renames it over the output. On error the old output is left as it was. Commit after
// Commit or Abort is an error.
func (f *File) Commit() error {
	if f.done {
		return &fs.PathError{Op: "commit", Path: f.name, Err: fs.ErrClosed}
	}
	f.done = true
	if f.tmp == "" {
		return renamed(f.f.Close(), "close", f.name)
	}
	err := renamed(f.f.Sync(), "sync", f.name)
	if cerr := f.f.Close(); err == nil {
		err = renamed(cerr, "close", f.name)
	}
	if err == nil {
		err = renamed(os.Rename(f.tmp, f.target), "rename", f.name)
	}
	if err != nil {
		_ = os.Remove(f.tmp)
		return err
	}
	syncDir(filepath.Dir(f.target))
	return nil
}

// Abort discards what was written; the output is left as it was. It does nothing after
// Commit or Abort.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	_ = f.f.Close()
	if f.tmp != "" {
		_ = os.Remove(f.tmp)
	}
}

// syncDir makes a rename in dir durable where the system allows it (not on Windows, where
// a directory cannot be opened for syncing).
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// renamed returns err with the output's name in place of whatever path it cites (the
// temporary file's), so that the path appears once: "write plans.json: no space left on
// device". It returns nil for nil.
func renamed(err error, op, name string) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return &fs.PathError{Op: op, Path: name, Err: le.Err}
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// WriteFile writes data to path as Create and Commit do: whole or not at all.
func WriteFile(path string, data []byte) error {
	f, err := Create(path, nil)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}
