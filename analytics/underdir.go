package analytics

import (
	"errors"
	"io"
	"io/fs"
	"strings"
	"time"
)

// underDir shows the files of fsys under the directory dir, a single path element: the
// file dir/x is x in fsys, and the root holds dir alone.
type underDir struct {
	dir  string
	fsys fs.FS
}

// Open implements fs.FS.
func (u underDir) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return u.openRoot()
	}
	rel, ok := strings.CutPrefix(name, u.dir+"/")
	if name == u.dir {
		rel, ok = ".", true
	}
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f, err := u.fsys.Open(rel)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
		}
		return nil, err
	}
	if rel == "." {
		return renamedDir{File: f, name: u.dir}, nil
	}
	return f, nil
}

// openRoot opens the root, a directory holding dir.
func (u underDir) openRoot() (fs.File, error) {
	info, err := fs.Stat(u, u.dir)
	if err != nil {
		return nil, err
	}
	return &rootDir{entries: []fs.DirEntry{fs.FileInfoToDirEntry(info)}}, nil
}

// renamedDir is the root of fsys, shown as dir.
type renamedDir struct {
	fs.File
	name string
}

func (d renamedDir) Stat() (fs.FileInfo, error) {
	info, err := d.File.Stat()
	if err != nil {
		return nil, err
	}
	return renamedInfo{FileInfo: info, name: d.name}, nil
}

func (d renamedDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rd, ok := d.File.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: d.name, Err: errors.New("not a directory")}
	}
	return rd.ReadDir(n)
}

type renamedInfo struct {
	fs.FileInfo
	name string
}

func (i renamedInfo) Name() string { return i.name }

// rootDir is the open root of an underDir.
type rootDir struct {
	entries []fs.DirEntry // not yet read
}

func (d *rootDir) Stat() (fs.FileInfo, error) { return rootInfo{}, nil }
func (d *rootDir) Close() error               { return nil }

func (d *rootDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: errors.New("is a directory")}
}

// ReadDir implements fs.ReadDirFile.
func (d *rootDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if n > 0 && len(d.entries) == 0 {
		return nil, io.EOF
	}
	if n <= 0 || n > len(d.entries) {
		n = len(d.entries)
	}
	out := d.entries[:n:n]
	d.entries = d.entries[n:]
	return out, nil
}

// rootInfo describes the root of an underDir.
type rootInfo struct{}

func (rootInfo) Name() string       { return "." }
func (rootInfo) Size() int64        { return 0 }
func (rootInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (rootInfo) ModTime() time.Time { return time.Time{} }
func (rootInfo) IsDir() bool        { return true }
func (rootInfo) Sys() any           { return nil }
