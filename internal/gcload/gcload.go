// Package gcload sets the garbage collector for a run: relaxed while a command loads its
// plans (the setting it found put back once the last load ends), then bounded by what the run
// may hold (Bound).
//
// Building the engine allocates about 65 MB for the enterprise plans, most of it parse trees
// dropped at once, while the heap is still small: at the default GOGC of 100 the collector
// runs a cycle every few MB and takes a third of the start-up. At Percent it runs a few (the
// peak resident size of a run of the enterprise plans grows from about 45 to 66 MB; 400
// saves 10 MB of it but is 15% slower), then the run goes on at the setting it had.
package gcload

import (
	"runtime/debug"
	"sync"
)

// Percent is the garbage collector's target (GOGC) while plans load.
const Percent = 800

// loads counts the loads in progress, process-wide as the collector's setting is (tests
// run several at once), so that the setting they found is restored once the last ends.
var loads struct {
	sync.Mutex
	n     int
	prior int
}

// Relax raises the collector's target to Percent, unless GOGC asks for more (or turns the
// collector off), until the returned function is called.
func Relax() (restore func()) {
	loads.Lock()
	defer loads.Unlock()
	if loads.n == 0 {
		loads.prior = debug.SetGCPercent(Percent)
		if loads.prior < 0 || loads.prior > Percent {
			debug.SetGCPercent(loads.prior)
		}
	}
	loads.n++
	return func() {
		loads.Lock()
		defer loads.Unlock()
		if loads.n--; loads.n == 0 {
			debug.SetGCPercent(loads.prior)
		}
	}
}
