package event

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestOutOfRange holds OutOfRange to the Merger's verdicts and words.
func TestOutOfRange(t *testing.T) {
	ref := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		t    time.Time
		ref  time.Time
		want string
	}{
		{"in range", ref.Add(time.Hour), ref, ""},
		{"at the limit", ref.Add(DefaultMaxAhead), ref, ""},
		{"behind", ref.Add(-30 * 24 * time.Hour), ref, ""},
		{"before 1970", time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), ref, "1969-12-31T00:00:00Z is before 1970"},
		{"before 1970 without a reference", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, "0001-01-01T00:00:00Z is before 1970"},
		{"far ahead without a reference", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, ""},
		{"far ahead", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), ref,
			"9999-12-31T23:59:59Z is over 292 years ahead of the input's latest time 2026-03-20T09:00:00Z (at most 24h0m0s)"},
		{"a day and a second ahead", ref.Add(DefaultMaxAhead + time.Second), ref,
			"2026-03-21T09:00:01Z is 24h0m1s ahead of the input's latest time 2026-03-20T09:00:00Z (at most 24h0m0s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, OutOfRange(tc.t, tc.ref, "the input's latest time", 0))
		})
	}
}
