//go:build !windows

package event

import "os"

// unlinkOpen removes the name of a temporary file the Sorter keeps open: its data stays
// readable through f and goes when the process ends, however it ends.
func unlinkOpen(f *os.File) { _ = os.Remove(f.Name()) }
