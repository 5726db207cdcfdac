package outfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckRefusesInputs names an input in every way a user can: the same path, another
// spelling, a symlink, a hard link, a file inside an input directory.
func TestCheckRefusesInputs(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "events.jsonl")
	require.NoError(t, os.WriteFile(input, []byte("x\n"), 0o644))
	packDir := filepath.Join(dir, "pack")
	require.NoError(t, os.Mkdir(packDir, 0o755))
	link := filepath.Join(dir, "link.jsonl")
	hard := filepath.Join(dir, "hard.jsonl")
	if runtime.GOOS != "windows" {
		require.NoError(t, os.Symlink(input, link))
		require.NoError(t, os.Link(input, hard))
	}
	var in Inputs
	in.Add(input, packDir, "-", "")
	tests := []struct {
		name, out string
		want      string // substring of the error; "" for none
		unix      bool
	}{
		{name: "the input itself", out: input, want: input + " is the input " + input},
		{name: "another spelling", out: filepath.Join(dir, ".", "pack", "..", "events.jsonl"), want: "is the input " + input},
		{name: "a symlink to it", out: link, want: "is the input " + input, unix: true},
		{name: "a hard link to it", out: hard, want: "is the input " + input, unix: true},
		{name: "a new file in an input directory", out: filepath.Join(packDir, "plans.json"), want: "is inside the input directory " + packDir},
		{name: "a new file elsewhere", out: filepath.Join(dir, "plans.json")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.unix && runtime.GOOS == "windows" {
				t.Skip("symlinks and hard links")
			}
			err := in.Check(tc.out)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInput)
			assert.Contains(t, err.Error(), tc.want)
			_, err = Create(tc.out, &in)
			require.ErrorIs(t, err, ErrInput, "Create checks too")
			data, err := os.ReadFile(input)
			require.NoError(t, err)
			assert.Equal(t, "x\n", string(data), "the input is untouched")
		})
	}
}

// TestCheckRefusesStdinFile: stdin redirected from a file is an input, added by name
// (AddFile) or as the command's stdin (AddStdin); a reader that is no file adds nothing.
func TestCheckRefusesStdinFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("x\n"), 0o644))
	for name, add := range map[string]func(*Inputs, *os.File){
		"AddFile":  func(in *Inputs, f *os.File) { in.AddFile("<stdin>", f) },
		"AddStdin": func(in *Inputs, f *os.File) { in.AddStdin(f) },
	} {
		t.Run(name, func(t *testing.T) {
			stdin, err := os.Open(path)
			require.NoError(t, err)
			defer stdin.Close()
			var in Inputs
			add(&in, stdin)
			err = in.Check(path)
			require.ErrorIs(t, err, ErrInput)
			assert.Contains(t, err.Error(), "is the input <stdin>")
		})
	}
	var none Inputs
	none.AddStdin(strings.NewReader("x\n"))
	assert.NoError(t, none.Check(path))
}

// TestCommitAndAbort: the old output stays whole until Commit, and after Abort.
func TestCommitAndAbort(t *testing.T) {
	tests := []struct {
		name   string
		commit bool
		want   string
	}{
		{name: "commit replaces", commit: true, want: "new"},
		{name: "abort keeps the old output", commit: false, want: "old"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "plans.json")
			require.NoError(t, os.WriteFile(out, []byte("old"), 0o640))
			f, err := Create(out, nil)
			require.NoError(t, err)
			_, err = f.Write([]byte("new"))
			require.NoError(t, err)
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.Equal(t, "old", string(got), "untouched before Commit")
			if tc.commit {
				require.NoError(t, f.Commit())
			} else {
				f.Abort()
			}
			got, err = os.ReadFile(out)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Len(t, entries, 1, "no temporary file is left behind")
			if runtime.GOOS != "windows" {
				st, err := os.Stat(out)
				require.NoError(t, err)
				assert.Equal(t, fs.FileMode(0o640), st.Mode().Perm(), "the replaced file's permissions are kept")
			}
			require.Error(t, f.Commit(), "a second Commit is an error")
		})
	}
}

// TestCreateThroughSymlinkKeepsTheLink: -o LINK replaces the file the link points to.
func TestCreateThroughSymlinkKeepsTheLink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "link.json")
	require.NoError(t, os.WriteFile(real, []byte("old"), 0o644))
	require.NoError(t, os.Symlink(real, link))
	f, err := Create(link, nil)
	require.NoError(t, err)
	_, err = f.Write([]byte("new"))
	require.NoError(t, err)
	require.NoError(t, f.Commit())
	st, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, fs.ModeSymlink, st.Mode().Type(), "still a link")
	got, err := os.ReadFile(real)
	require.NoError(t, err)
	assert.Equal(t, "new", string(got))
}

// TestErrorsNameTheOutputOnce: a failed write says "write OUT: reason", not the temporary
// file's name and not the path twice.
func TestErrorsNameTheOutputOnce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/full")
	}
	f, err := Create("/dev/full", nil)
	require.NoError(t, err, "a device is written in place")
	_, err = f.Write([]byte("x"))
	require.Error(t, err)
	assert.Equal(t, "write /dev/full: no space left on device", err.Error())
	require.NoError(t, f.Commit())

	_, err = Create(filepath.Join(t.TempDir(), "no", "such", "dir", "out.json"), nil)
	var pe *fs.PathError
	require.True(t, errors.As(err, &pe))
	assert.NotContains(t, err.Error(), ".tmp-", "the temporary name is not shown")
}
