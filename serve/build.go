package serve

import (
	"fmt"
	"sync"

	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// Build is an engine over a plan set that is built once, when first needed, and forked
// (runtime.Engine.Fork) for every engine that evaluates: each lane of stage 1, each partition
// of stage 2. The forks share its programs and indexes. Stage1 and Stage2 of one process
// share one through their Build fields, so that the process builds its plans once; without
// one, each stage builds its own. Fork is safe for concurrent use.
type Build struct {
	Set     *plan.Set
	Options []runtime.Option // engine limits; the engine has one worker

	mu  sync.Mutex
	eng *runtime.Engine
	err error
}

// Fork returns a fresh engine over the Build's plans, building them the first time (an
// error then is the build's, each time).
func (b *Build) Fork() (*runtime.Engine, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.eng == nil && b.err == nil {
		b.eng, b.err = runtime.New(b.Set, append(b.Options[:len(b.Options):len(b.Options)], runtime.WithWorkers(1))...)
	}
	if b.err != nil {
		return nil, b.err
	}
	eng, err := b.eng.Fork()
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	return eng, nil
}
