// Package synth generates a synthetic, pack-scale detection workload for benchmarks: bound
// detection plans shaped like the enterprise ATT&CK analytics, a mixed Sysmon/Security event
// stream in which a small share of events match, and the same detection logic as hand-written
// Go closures and as Sigma rules.
//
// Everything is made from one description per channel (a log source, an EventCode set and a
// few string tests, see Test), so that the CEL plans, the native closures and the Sigma rules
// cannot drift apart. Output depends only on the seed and the sizes asked for.
package synth

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// DefaultSeed is the seed of the package-level helpers (Plans, Events, ...).
const DefaultSeed = 20260320

// PackSize is the number of plans of the default pack (Events draws its matches from it).
const PackSize = 1700

// Log sources of the generated plans and events.
const (
	Sysmon   = "WinEventLog:Sysmon"
	Security = "WinEventLog:Security"
)

// CorrelationWindow is the window of the plans that have a condition.
const CorrelationWindow = 10 * time.Minute

// Op is a string test's operator.
type Op string

// Operators, named after the CEL functions they become.
const (
	OpContains   Op = "contains"
	OpEndsWith   Op = "endsWith"
	OpStartsWith Op = "startsWith"
	OpIn         Op = "in" // the field equals one of Values
)

// Test is one string test on an event field. When the channel is Lower, the field is
// lower-cased (ASCII) before the test and Values are lower-case.
type Test struct {
	Field  string
	Op     Op
	Values []string // one value unless Op is OpIn
}

// Channel is one bound channel: events of LogSource whose EventCode is one of Codes and that
// pass every test.
type Channel struct {
	ID        string // c1..cN
	LogSource string
	Codes     []int64
	Lower     bool // compare lower-cased field values (CEL lowerAscii, Sigma's default)
	Tests     []Test
}

// Rule is one synthetic analytic: its channels, and whether an alert needs all of them in
// one window of a host (condition c1 && c2 ...) or each matching event alerts.
type Rule struct {
	ID         string
	Technique  string
	Channels   []Channel
	Correlated bool
}

// Pack is a generated set of rules and the event mix its stream is drawn from.
type Pack struct {
	Seed  int64
	Rules []Rule
	mix   []weighted[eventKind] // event kinds of the stream, by volume
}

// New generates n rules from seed, over the default mixed Sysmon/Security stream.
func New(seed int64, n int) *Pack {
	rng := newRand(seed)
	p := &Pack{Seed: seed, mix: streamMix}
	for i := range n {
		p.Rules = append(p.Rules, newRule(rng, i))
	}
	return p
}

// Single is a one-rule pack like AN1030's c1 (a process opens lsass.exe with a memory-read
// access mask), over a stream of Sysmon EventCode 10 events only, so every event reaches it.
func Single(seed int64) *Pack {
	r := Rule{ID: "SYN00001", Technique: "T1003.001", Channels: []Channel{{
		ID: "c1", LogSource: Sysmon, Codes: []int64{10}, Lower: true,
		Tests: []Test{
			{Field: "TargetImage", Op: OpEndsWith, Values: []string{`\lsass.exe`}},
			{Field: "GrantedAccess", Op: OpIn, Values: slices.Clone(accessMasks)},
		},
	}}}
	return &Pack{Seed: seed, Rules: []Rule{r}, mix: []weighted[eventKind]{{kindByCode(Sysmon, 10), 1}}}
}

// Events is n events of the default pack's stream (New(DefaultSeed, PackSize)).
func Events(n int) [][]byte { return New(DefaultSeed, PackSize).Events(n) }

func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x5354495843454c)) // "STIXCEL"
}

// newRule draws one rule: 1-3 channels of realistic kinds, 1-3 tests each.
func newRule(rng *rand.Rand, i int) Rule {
	r := Rule{ID: fmt.Sprintf("SYN%05d", i+1), Technique: pick(rng, techniques)}
	nch := pickWeighted(rng, channelCounts)
	for c := range nch {
		r.Channels = append(r.Channels, newChannel(rng, fmt.Sprintf("c%d", c+1)))
	}
	r.Correlated = nch > 1 && rng.IntN(100) < 8
	return r
}

func newChannel(rng *rand.Rand, id string) Channel {
	kind := pickWeighted(rng, channelKinds)
	ch := Channel{ID: id, LogSource: kind.logSource, Codes: kind.codes, Lower: rng.IntN(100) < 40}
	fields := testableFields(kind, ch.Lower)
	rng.Shuffle(len(fields), func(a, b int) { fields[a], fields[b] = fields[b], fields[a] })
	n := min(pickWeighted(rng, testCounts), len(fields))
	for _, f := range fields[:n] {
		ch.Tests = append(ch.Tests, newTest(rng, f, ch.Lower))
	}
	return ch
}

// newTest draws an operator the field's class supports (list membership only on lower-cased
// channels, as path lists are written) and its value(s).
func newTest(rng *rand.Rand, f field, lower bool) Test {
	var ops []Op
	for _, op := range f.class.ops() {
		if op != OpIn || lower {
			ops = append(ops, op)
		}
	}
	op := pick(rng, ops)
	t := Test{Field: f.name, Op: op}
	if op == OpIn {
		k := 2 + rng.IntN(min(4, len(f.class.in)-1))
		perm := rng.Perm(len(f.class.in))[:k]
		for _, j := range perm {
			t.Values = append(t.Values, f.class.in[j])
		}
	} else {
		t.Values = []string{pick(rng, f.class.tokens(op))}
	}
	if lower {
		for j, v := range t.Values {
			t.Values[j] = asciiLower(v)
		}
	}
	return t
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

type weighted[T any] struct {
	v T
	w int
}

func pickWeighted[T any](rng *rand.Rand, xs []weighted[T]) T {
	total := 0
	for _, x := range xs {
		total += x.w
	}
	n := rng.IntN(total)
	for _, x := range xs {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return xs[len(xs)-1].v
}

// asciiLower lower-cases ASCII letters only, as CEL's lowerAscii does.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
