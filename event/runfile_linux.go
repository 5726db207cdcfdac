package event

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// createRun makes a temporary file for a sorted run that never has a name (O_TMPFILE), so
// that no way the process ends, SIGKILL between creating and unlinking included, leaves it
// behind; a file system without O_TMPFILE gets a named file whose name is removed at once.
func createRun(dir string) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err == nil {
		// The name is only for messages; removing it finds nothing.
		return os.NewFile(uintptr(fd), filepath.Join(dir, "(unnamed stixcel sort run)")), nil
	}
	f, err := os.CreateTemp(dir, runPattern)
	if err == nil {
		_ = os.Remove(f.Name())
	}
	return f, err
}
