package event

import "os"

// createRun makes a temporary file for a sorted run. An open file cannot be removed on
// Windows: Sorter.Close removes it.
func createRun(dir string) (*os.File, error) { return os.CreateTemp(dir, runPattern) }
