package synth

import (
	"slices"
	"strings"
	"time"
)

// NativeMatchers is New(DefaultSeed, n).Native().
func NativeMatchers(n int) *Native { return New(DefaultSeed, n).Native() }

// Native is the pack's logic as hand-written Go: one closure per channel (strings.Contains,
// strings.HasSuffix, strings.ToLower, ...) behind the same routing index as the runtime's,
// log_source then EventCode. It is the baseline the CEL runtime is measured against.
type Native struct {
	routes map[string]map[int64][]nativeChannel
	rules  []nativeRule
	// scratch, per event: which rules have alerted (stamped with the event number).
	event   int
	alerted []int
}

type nativeChannel struct {
	rule, channel int
	match         func(fields map[string]any) bool
}

// nativeRule holds a correlated rule's last match per host and channel.
type nativeRule struct {
	correlated bool
	channels   int
	last       map[string][]time.Time
}

// Native compiles the pack into Go closures.
func (p *Pack) Native() *Native {
	n := &Native{routes: map[string]map[int64][]nativeChannel{}, alerted: make([]int, len(p.Rules))}
	for ri, r := range p.Rules {
		n.rules = append(n.rules, nativeRule{correlated: r.Correlated, channels: len(r.Channels), last: map[string][]time.Time{}})
		for ci, ch := range r.Channels {
			nc := nativeChannel{rule: ri, channel: ci, match: ch.native()}
			byCode := n.routes[ch.LogSource]
			if byCode == nil {
				byCode = map[int64][]nativeChannel{}
				n.routes[ch.LogSource] = byCode
			}
			for _, code := range ch.Codes {
				byCode[code] = append(byCode[code], nc)
			}
		}
	}
	return n
}

// Match calls hit for every channel the event passes, in rule and channel order. fields is
// the decoded event; EventCode may be int64 (the runtime's decoding) or float64
// (encoding/json's).
func (n *Native) Match(logSource string, fields map[string]any, hit func(rule, channel int)) {
	byCode := n.routes[logSource]
	if byCode == nil {
		return
	}
	code, ok := eventCode(fields["EventCode"])
	if !ok {
		return
	}
	for _, c := range byCode[code] {
		if c.match(fields) {
			hit(c.rule, c.channel)
		}
	}
}

// Process matches one event and returns how many alerts it raises: one per uncorrelated
// rule with a matching channel, and one per correlated rule whose channels have all matched
// for the event's host within CorrelationWindow (its evidence is then spent).
func (n *Native) Process(logSource string, at time.Time, fields map[string]any) int {
	n.event++
	alerts := 0
	n.Match(logSource, fields, func(ri, ci int) {
		r := &n.rules[ri]
		if !r.correlated {
			if n.alerted[ri] != n.event {
				n.alerted[ri] = n.event
				alerts++
			}
			return
		}
		if r.observe(fields, ci, at) {
			alerts++
		}
	})
	return alerts
}

func (r *nativeRule) observe(fields map[string]any, channel int, at time.Time) bool {
	host, _ := fields["host"].(string)
	last := r.last[host]
	if last == nil {
		last = make([]time.Time, r.channels)
		r.last[host] = last
	}
	last[channel] = at
	for _, t := range last {
		if t.IsZero() || at.Sub(t) > CorrelationWindow {
			return false
		}
	}
	delete(r.last, host)
	return true
}

func eventCode(v any) (int64, bool) {
	switch c := v.(type) {
	case int64:
		return c, true
	case float64:
		return int64(c), float64(int64(c)) == c
	}
	return 0, false
}

// native is the channel's tests as one closure; a missing or non-string field fails, as a
// CEL evaluation error counts as no match.
func (ch Channel) native() func(map[string]any) bool {
	tests := make([]func(string) bool, len(ch.Tests))
	for i, t := range ch.Tests {
		tests[i] = t.native()
	}
	names := make([]string, len(ch.Tests))
	for i, t := range ch.Tests {
		names[i] = t.Field
	}
	lower := ch.Lower
	return func(fields map[string]any) bool {
		for i, test := range tests {
			v, ok := fields[names[i]].(string)
			if !ok {
				return false
			}
			if lower {
				v = strings.ToLower(v)
			}
			if !test(v) {
				return false
			}
		}
		return true
	}
}

func (t Test) native() func(string) bool {
	switch t.Op {
	case OpContains:
		s := t.Values[0]
		return func(v string) bool { return strings.Contains(v, s) }
	case OpEndsWith:
		s := t.Values[0]
		return func(v string) bool { return strings.HasSuffix(v, s) }
	case OpStartsWith:
		s := t.Values[0]
		return func(v string) bool { return strings.HasPrefix(v, s) }
	default:
		values := t.Values
		return func(v string) bool { return slices.Contains(values, v) }
	}
}
