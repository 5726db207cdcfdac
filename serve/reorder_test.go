package serve

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/stixcel/stixcel/event"
)

func TestReorder(t *testing.T) {
	at := func(sec int, src string, line int) match {
		return match{ev: &event.Event{Time: time.Unix(int64(sec), 0).UTC(), Source: src, Line: line}, plan: "AN1"}
	}
	key := func(ms []match) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ev.Time.Format("05")+" "+m.ev.Source)
		}
		return out
	}
	tests := []struct {
		name         string
		lateness     time.Duration
		in           []match
		wantReleased []string // by release, before the drain
		wantLate     int
		wantDrained  []string
	}{
		{name: "in order", lateness: 2 * time.Second,
			in:           []match{at(1, "a", 1), at(2, "a", 2), at(5, "a", 3)},
			wantReleased: []string{"01 a", "02 a"}, wantDrained: []string{"05 a"}},
		{name: "out of order within the lateness", lateness: 2 * time.Second,
			in:           []match{at(2, "a", 2), at(1, "a", 1), at(5, "a", 3)},
			wantReleased: []string{"01 a", "02 a"}, wantDrained: []string{"05 a"}},
		{name: "ties by source then line", lateness: time.Second,
			in:           []match{at(1, "b", 1), at(1, "a", 9), at(3, "a", 10)},
			wantReleased: []string{"01 a", "01 b"}, wantDrained: []string{"03 a"}},
		{name: "older than the watermark", lateness: time.Second,
			in:           []match{at(5, "a", 1), at(1, "a", 2), at(2, "b", 1), at(7, "a", 3)},
			wantReleased: []string{"05 a"}, wantLate: 2, wantDrained: []string{"07 a"}},
		{name: "older than released", lateness: 0,
			in:           []match{at(5, "a", 1), at(6, "a", 2), at(4, "a", 3)},
			wantReleased: []string{"05 a"}, wantLate: 1, wantDrained: []string{"06 a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := reorder{lateness: tc.lateness}
			var released []match
			late := 0
			for _, m := range tc.in {
				if r.push(m) {
					late++
				}
				released = r.release(released)
			}
			assert.Equal(t, tc.wantReleased, key(released), "released")
			assert.Equal(t, tc.wantLate, late, "late")
			assert.Equal(t, tc.wantDrained, key(r.drain(nil)), "drained")
		})
	}
}
