//go:build !windows && !linux

package event

import "os"

// createRun makes a temporary file for a sorted run and removes its name at once: its data
// stays readable through the file and goes when the process ends, however it ends.
func createRun(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, runPattern)
	if err == nil {
		_ = os.Remove(f.Name())
	}
	return f, err
}
