//go:build !unix

package serve

import "time"

// processCPU is 0 where getrusage is not available: the CPU ratio is not reported.
func processCPU() time.Duration { return 0 }
