package synth

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stixcel/stixcel/plan"
)

// Plans is New(DefaultSeed, n).Plans().
func Plans(n int) *plan.Set { return New(DefaultSeed, n).Plans() }

// Plans returns the pack as bound detection plans: each channel has its derived selector
// (event.EventCode == N, or in [...]) with the matching Route, and its tests as the bound
// predicate. Plans group by host; correlated ones alert when all channels match in
// CorrelationWindow (condition c1 && c2 ...), the others alert on each matching event.
func (p *Pack) Plans() *plan.Set {
	set := &plan.Set{Schema: plan.Schema, Plans: make([]*plan.Plan, 0, len(p.Rules))}
	for _, r := range p.Rules {
		set.Plans = append(set.Plans, r.plan())
	}
	return set
}

func (r Rule) plan() *plan.Plan {
	pl := &plan.Plan{
		ID:                r.ID,
		StixID:            "x-mitre-analytic--synthetic-" + strings.ToLower(r.ID),
		Name:              "Synthetic " + r.ID,
		Version:           "1.0",
		Modified:          "2026-03-20T00:00:00.000Z",
		Domains:           []string{"enterprise-attack"},
		Platforms:         []string{"Windows"},
		Techniques:        []plan.Technique{{ID: r.Technique, Name: "Synthetic " + r.Technique}},
		DetectionStrategy: "DET" + r.ID[3:],
		Kind:              plan.KindDetection,
		Params:            []*plan.Param{},
		Correlation:       plan.Correlation{GroupBy: []string{"host"}},
	}
	ids := make([]string, 0, len(r.Channels))
	for _, ch := range r.Channels {
		pl.Channels = append(pl.Channels, ch.plan())
		ids = append(ids, ch.ID)
	}
	if r.Correlated {
		pl.Correlation.WindowLiteral = "10m"
		pl.Correlation.Condition = strings.Join(ids, " && ")
	}
	return pl
}

func (ch Channel) plan() *plan.Channel {
	values := make([]any, len(ch.Codes))
	for i, c := range ch.Codes {
		values[i] = c
	}
	return &plan.Channel{
		ID:            ch.ID,
		LogSource:     ch.LogSource,
		DataComponent: plan.DataComponent{ID: "DC0000", Name: "Synthetic"},
		Channel:       "EventCode=" + joinInts(ch.Codes, ", "),
		Selector:      ch.Selector(),
		Route:         &plan.Route{Field: "EventCode", Values: values},
		Predicate:     ch.Predicate(),
		Origin:        plan.OriginBound,
	}
}

// Selector is the channel's selector as the compiler wrote it before it guarded selectors
// with has(): an unguarded route, which the runtime decides as it does a guarded one.
func (ch Channel) Selector() string {
	if len(ch.Codes) == 1 {
		return fmt.Sprintf("event.EventCode == %d", ch.Codes[0])
	}
	return "event.EventCode in [" + joinInts(ch.Codes, ", ") + "]"
}

// Predicate is the channel's tests as CEL, joined with &&.
func (ch Channel) Predicate() string {
	parts := make([]string, len(ch.Tests))
	for i, t := range ch.Tests {
		parts[i] = t.cel(ch.Lower)
	}
	return strings.Join(parts, "\n&& ")
}

func (t Test) cel(lower bool) string {
	subject := "event." + t.Field
	if lower {
		subject += ".lowerAscii()"
	}
	if t.Op == OpIn {
		quoted := make([]string, len(t.Values))
		for i, v := range t.Values {
			quoted[i] = strconv.Quote(v)
		}
		return subject + " in [" + strings.Join(quoted, ", ") + "]"
	}
	return fmt.Sprintf("%s.%s(%s)", subject, t.Op, strconv.Quote(t.Values[0]))
}

func joinInts(xs []int64, sep string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(parts, sep)
}
