// Package gcload sets the garbage collector for a run: relaxed while a command loads its
// plans (the setting it found put back once the last load ends), then kept within a headroom
// of what the run holds live (Bound).
//
// Building the engine allocates about 65 MB for the enterprise plans, most of it parse trees
// dropped at once, while the heap is still small: at the default GOGC of 100 the collector
// runs a cycle every few MB and takes a third of the start-up. At Percent it runs a few (the
// peak resident size of a run of the enterprise plans grows from about 45 to 66 MB; 400
// saves 10 MB of it but is 15% slower), then the run goes on at the setting it had.
package gcload

import (
	"math"
	"runtime/debug"
	"sync"
)

// Percent is the garbage collector's target (GOGC) while plans load.
const Percent = 800

// LoadLimit is the soft memory limit while plans load, unless GOMEMLIMIT sets one: at Percent
// a large artifact's parse garbage would grow the heap to nine times what is live (the
// enterprise plans with SigmaHQ's Windows rules peaked at 0.8–1.2 GB for about 150 MB live);
// past LoadLimit the collector runs as it needs to (the same load: 0.43 GB, no slower).
const LoadLimit = 384 << 20

// loads counts the loads in progress, process-wide as the collector's setting is (tests
// run several at once), so that the setting they found is restored once the last ends.
var loads struct {
	sync.Mutex
	n          int
	prior      int
	priorLimit int64
}

// Relax raises the collector's target to Percent, unless GOGC asks for more (or turns the
// collector off), with a soft memory limit of LoadLimit unless one is set, until the returned
// function is called.
func Relax() (restore func()) {
	loads.Lock()
	defer loads.Unlock()
	if loads.n == 0 {
		loads.prior = debug.SetGCPercent(Percent)
		if loads.prior < 0 || loads.prior > Percent {
			debug.SetGCPercent(loads.prior)
		}
		loads.priorLimit = debug.SetMemoryLimit(-1)
		if loads.priorLimit == math.MaxInt64 { // no GOMEMLIMIT, no Bound yet
			debug.SetMemoryLimit(LoadLimit)
		}
	}
	loads.n++
	return func() {
		loads.Lock()
		defer loads.Unlock()
		if loads.n--; loads.n == 0 {
			debug.SetGCPercent(loads.prior)
			debug.SetMemoryLimit(loads.priorLimit)
		}
	}
}
