package celenv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// fixedRecurrence answers recurring() and distinct() with fixed values and records the
// arguments of recurring().
type fixedRecurrence struct {
	recurs   bool
	distinct int
	tol      time.Duration
	min      int
}

func (f *fixedRecurrence) Recurring(tol time.Duration, minCount int) bool {
	f.tol, f.min = tol, minCount
	return f.recurs
}

func (f *fixedRecurrence) Distinct() int { return f.distinct }

// TestChannelStateRecurrence checks that a state with a Recurrence answers from it and not
// from Series, and one without from Series.
func TestChannelStateRecurrence(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	beacon := map[string][]time.Time{
		"a": {t0, t0.Add(time.Minute), t0.Add(2 * time.Minute)},
		"b": {t0},
	}
	for _, tc := range []struct {
		name         string
		st           *ChannelState
		wantRecurs   bool
		wantDistinct int
	}{
		{"series", &ChannelState{Series: beacon}, true, 2},
		{"recurrence over series", &ChannelState{Series: beacon, Recurrence: &fixedRecurrence{false, 7, 0, 0}}, false, 7},
		{"recurrence alone", &ChannelState{Recurrence: &fixedRecurrence{true, 1, 0, 0}}, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.wantRecurs, tc.st.Recurring(time.Second, 3))
			assert.Equal(t, tc.wantDistinct, tc.st.Distinct())
			if f, ok := tc.st.Recurrence.(*fixedRecurrence); ok {
				assert.Equal(t, time.Second, f.tol)
				assert.Equal(t, 3, f.min, "the count is passed as given")
			}
		})
	}
}

// TestStableIntervals is the test recurring() applies to one run.
func TestStableIntervals(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(secs ...int) []time.Time {
		var out []time.Time
		for _, s := range secs {
			out = append(out, t0.Add(time.Duration(s)*time.Second))
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		times []time.Time
		tol   time.Duration
		want  bool
	}{
		{"one interval", at(0, 60), 0, true},
		{"equal intervals", at(0, 60, 120), 0, true},
		{"within tolerance", at(0, 60, 122), 1 * time.Second, true},
		{"beyond tolerance", at(0, 60, 140), 5 * time.Second, false},
		{"negative tolerance", at(0, 60, 120), -time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, StableIntervals(tc.times, tc.tol))
		})
	}
}
