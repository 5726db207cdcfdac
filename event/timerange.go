package event

import (
	"fmt"
	"time"
)

// OutOfRange applies the Merger's time-range rule to an event time t against ref, the latest
// time its input is known to have reached (refName says what ref is, for the message): t is
// out of range when it is before 1970, or more than maxAhead (0: DefaultMaxAhead) after ref.
// It returns why, or "" when t is in range; a zero ref only checks 1970. Callers that decide
// outside a Merger (serve's stages) reject such an event as ReasonTimeOutOfRange and let it
// move no clock, as the Merger does.
func OutOfRange(t, ref time.Time, refName string, maxAhead time.Duration) string {
	if maxAhead <= 0 {
		maxAhead = DefaultMaxAhead
	}
	switch {
	case t.Before(epoch):
		return t.Format(time.RFC3339Nano) + " is before 1970"
	case ref.IsZero() || t.Sub(ref) <= maxAhead:
		return ""
	}
	return fmt.Sprintf("%s is %s ahead of %s %s (at most %s)",
		t.Format(time.RFC3339Nano), aheadText(t.Sub(ref)), refName, ref.Format(time.RFC3339Nano), maxAhead)
}
