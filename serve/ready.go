package serve

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// readiness is what /readyz answers: whether every stage this worker runs has built its
// engine and consumes. Building the engines of a large artifact takes seconds (the
// enterprise plans with SigmaHQ's Windows rules: about one for stage 1, and again for each
// partition stage 2 takes over); /healthz only says the process is alive.
type readiness struct {
	stage1, stage2 atomic.Int32 // a stageState
	untried        atomic.Int64 // stage 2 partitions whose lease it has not tried yet
	building       atomic.Int64 // stage 2 partitions taken over, building their engine
}

// stageState is where a stage is in its start-up.
type stageState = int32

const (
	stageAbsent   stageState = iota // this worker does not run the stage
	stageStarting                   // expected, or building its engine
	stageReady                      // consuming
	stageDown                       // failed: started again after a delay (Supervise)
)

// Expect marks the stages this worker runs as starting, before they do: /readyz answers
// 503 from the first request until each is ready.
func (m *Metrics) Expect(stage1, stage2 bool) {
	if stage1 {
		m.ready.stage1.Store(stageStarting)
	}
	if stage2 {
		m.ready.stage2.Store(stageStarting)
	}
}

// notReady lists what keeps the worker from being ready; "" when it is.
func (r *readiness) notReady() string {
	var why []string
	for i, st := range []stageState{r.stage1.Load(), r.stage2.Load()} {
		switch st {
		case stageStarting:
			why = append(why, fmt.Sprintf("stage %d is starting (building its engine)", i+1))
		case stageDown:
			why = append(why, fmt.Sprintf("stage %d failed and starts again", i+1))
		}
	}
	if n := r.untried.Load(); n > 0 {
		why = append(why, fmt.Sprintf("stage 2 has %d partitions' leases to try", n))
	}
	if n := r.building.Load(); n > 0 {
		why = append(why, fmt.Sprintf("stage 2 is building the engines of %d partitions it took over", n))
	}
	return strings.Join(why, "; ")
}

// running marks a stage's Run: starting now, and down when it returns with an error (its
// Supervise starts it again), unless ctx ended.
func running(st *atomic.Int32) (ready func(), done func(err error)) {
	st.Store(stageStarting)
	return func() { st.Store(stageReady) }, func(err error) {
		if err != nil {
			st.Store(stageDown)
		}
	}
}
