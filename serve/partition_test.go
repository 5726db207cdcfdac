package serve

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/runtime"
)

// TestPartitionsShareOneBuild: each partition a worker takes gets an engine of its own, with
// state of its own (one partition's matches alert in it alone), forked from the one engine
// the worker builds for its first partition.
func TestPartitionsShareOneBuild(t *testing.T) {
	s := &Stage2{Set: compileSet(t)}
	first, err := s.engine()
	require.NoError(t, err)
	built := s.build.eng
	second, err := s.engine()
	require.NoError(t, err)
	assert.Same(t, built, s.build.eng, "one build")
	assert.NotSame(t, first, second)

	data, err := os.ReadFile(demoFile)
	require.NoError(t, err)
	r := event.NewReader(strings.NewReader(string(data)), demoFile, nil)
	var fed []*event.Event
	for ev, rej, err := r.Next(); err == nil; ev, rej, err = r.Next() {
		require.Nil(t, rej)
		fed = append(fed, ev)
	}
	var alerts [2]int
	for i, eng := range []*runtime.Engine{first, second} {
		count := func(o runtime.Output) {
			if _, ok := o.(*runtime.Alert); ok {
				alerts[i]++
			}
		}
		if i == 0 {
			for _, ev := range fed {
				require.NoError(t, eng.ProcessPlan(context.Background(), ev, "AN1828", count))
			}
		}
		eng.Flush(count)
	}
	assert.Equal(t, [2]int{1, 0}, alerts, "the demo's alert, in the partition fed alone")
}

// TestStagesShareABuild: stage 1 and stage 2 of one process fork one Build (serve --stage
// both): the plans are built once, and the alerts are run's.
func TestStagesShareABuild(t *testing.T) {
	set := compileSet(t)
	want := runAlerts(t, set, nil, []string{demoFile})
	require.Len(t, want, 1)
	c := newCluster(t, set, nil)
	b := &Build{Set: set}
	start(t, (&Stage1{JS: c.js, Names: testNames, Set: set, Build: b}).Run)
	start(t, (&Stage2{JS: c.js, Names: testNames, Set: set, IdleFlush: 300 * time.Millisecond, Build: b}).Run)
	publishFiles(t, c.js, testNames, nil, []string{demoFile})
	c.assertAlerts(want)
	built := b.eng
	_, err := b.Fork()
	require.NoError(t, err)
	assert.Same(t, built, b.eng, "one build")
}

// TestCorrelatedKeepsTheSet: stage 2's subset of the plans keeps every other field of the
// set, its CELEnv above all (without it the engine parses every channel again).
func TestCorrelatedKeepsTheSet(t *testing.T) {
	set := compileSet(t)
	set.CELEnv = "fingerprint" // an artifact's (plan.Set.CELEnv)
	single := *set.Plans[0]
	single.ID, single.Correlation.Condition = "AN0000", "" // a plan that alerts per event
	set.Plans = append(set.Plans, &single)
	sub := correlated(set)
	require.NotEmpty(t, sub.Plans)
	require.Less(t, len(sub.Plans), len(set.Plans))
	for _, p := range sub.Plans {
		assert.NotEmpty(t, p.Correlation.Condition, p.ID)
	}
	rest := *sub
	rest.Plans = set.Plans
	assert.Equal(t, *set, rest, "the fields but Plans")
}
