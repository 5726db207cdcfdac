package explain

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stixcel/stixcel/internal/termsafe"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/tester"
)

// WriteText writes the trace for people: per event its place, time and log source, a line
// per channel the plan evaluates saying how far it got (log source, selector, predicate),
// and what the matches did to the group's window (which cN were true, whether the condition
// held and an alert opened); then the rejected lines and the alerts. An event whose log
// source no channel reads takes one line.
//
//	events.jsonl:3  2026-03-20T09:00:30Z  MobileEDR:telemetry
//	  c1  not its log source (VPN:MobileProxy)
//	  c4  matched: selector true, predicate true
//	  c5  no match: predicate false
//	  group {"device_id": "ios-1"}: c1, c2, c4 in the window; condition true: alert opened (window until 2026-03-20T09:10:30Z)
func (t *Trace) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString(t.String() + "\n")
	if t.Condition == "" {
		b.WriteString("condition: none (every matching event alerts)\n")
	} else {
		fmt.Fprintf(&b, "condition: %s\n  over the window (%s) of one group (%s)\n", t.Condition, t.Window, strings.Join(t.GroupBy, ", "))
	}
	if unused := t.unusedChannels(); len(unused) > 0 {
		fmt.Fprintf(&b, "not evaluated (the condition does not use them): %s\n", strings.Join(unused, ", "))
	}
	for _, ev := range t.Events {
		fmt.Fprintf(&b, "\n%s:%d  %s  %s\n", ev.Source, ev.Line, ev.Time.UTC().Format(time.RFC3339Nano), ev.LogSource)
		if !readsLogSource(ev.Channels) {
			b.WriteString("  no channel reads this log source: no alert\n")
			continue
		}
		for _, c := range ev.Channels {
			if c.Used {
				fmt.Fprintf(&b, "  %-3s %s\n", c.ID, channelText(c))
			}
		}
		fmt.Fprintf(&b, "  %s\n", correlationText(ev.Correlation))
	}
	if len(t.Rejected) > 0 {
		fmt.Fprintf(&b, "\nrejected (%d):\n", len(t.Rejected))
		for _, r := range t.Rejected {
			fmt.Fprintf(&b, "  %s\n", r)
		}
	}
	fmt.Fprintf(&b, "\nalerts (%d):\n", len(t.Alerts))
	if len(t.Alerts) == 0 {
		b.WriteString("  none\n")
	}
	for _, a := range t.Alerts {
		fmt.Fprintf(&b, "  %s\n", tester.AlertText(a))
	}
	_, err := io.WriteString(w, termsafe.Text(b.String())) // events, bundles and packs wrote most of it
	return err
}

// unusedChannels are the channels the plan does not evaluate, from the first event (the
// same on every event).
func (t *Trace) unusedChannels() []string {
	var ids []string
	if len(t.Events) > 0 {
		for _, c := range t.Events[0].Channels {
			if !c.Used {
				ids = append(ids, c.ID)
			}
		}
	}
	return ids
}

// readsLogSource reports whether a channel the plan evaluates reads the event's log source.
func readsLogSource(chs []runtime.ChannelTrace) bool {
	for _, c := range chs {
		if c.Used && c.LogSourceMatched {
			return true
		}
	}
	return false
}

// channelText says how far a channel got with the event.
func channelText(c runtime.ChannelTrace) string {
	if !c.LogSourceMatched {
		return "not its log source (" + c.LogSource + ")"
	}
	var checks []string
	for _, x := range []struct {
		name string
		c    runtime.Check
	}{{"selector", c.Selector}, {"predicate", c.Predicate}} {
		switch x.c.Outcome {
		case runtime.OutcomeAbsent, runtime.OutcomeSkipped:
		case runtime.OutcomeError:
			checks = append(checks, x.name+" error (counted as false): "+x.c.Error)
		default:
			checks = append(checks, x.name+" "+string(x.c.Outcome))
		}
	}
	verdict := "no match"
	if c.Matched {
		verdict = "matched"
	}
	if len(checks) == 0 {
		return verdict
	}
	return verdict + ": " + strings.Join(checks, ", ")
}

// correlationText says what the event's matches did, or that there were none.
func correlationText(c *runtime.CorrelationTrace) string {
	if c == nil {
		return "no channel matched: no alert"
	}
	group := "group " + tester.GroupText(c.Group)
	switch c.Outcome {
	case runtime.CorrelationImmediate:
		return "the plan has no condition: alert for " + group
	case runtime.CorrelationHunt:
		return "selector plan: hunt record (selector plans never alert)"
	case runtime.CorrelationSpent:
		return group + ": not after the close of the group's last alert, whose evidence it was: ignored"
	case runtime.CorrelationTooOld:
		return group + ": older than the group's window: ignored"
	case runtime.CorrelationAdded:
		return fmt.Sprintf("%s has an open alert (window until %s): more evidence for it", group, timeText(c.Close))
	}
	text := fmt.Sprintf("%s: %s in the window; condition ", group, windowText(c.InWindow))
	switch {
	case c.Outcome == runtime.CorrelationOpened:
		return text + fmt.Sprintf("true: alert opened (window until %s)", timeText(c.Close))
	case c.Condition != nil && c.Condition.Outcome == runtime.OutcomeError:
		return text + "error (counted as false): " + c.Condition.Error + ": no alert"
	}
	return text + "false: no alert"
}

func windowText(ids []string) string {
	if len(ids) == 0 {
		return "no channel"
	}
	return strings.Join(ids, ", ")
}

func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
