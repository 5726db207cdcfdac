// Package coverage scores ATT&CK techniques by the analytics and Sigma rules that cover them,
// for stixcel coverage: each analytic or rule is a tested detection plan (a binding whose
// test cases ran and passed, a rule whose regression tests ran and passed), an untested
// detection plan, a selector plan or an inert plan, and a technique scores as its best. It writes the scores as an ATT&CK Navigator layer (format
// 4.5) and as a text table per tactic, and, running the telemetry through each analytic's
// selectors (Feeder), says which analytics the telemetry can feed. OnPlatforms restricts the
// analytics to platforms.
package coverage

import (
	"slices"
	"sort"
	"strings"

	"github.com/stixcel/stixcel/plan"
)

// Status is how well an analytic covers its techniques, from best to worst.
type Status string

// The statuses, in order of coverage.
const (
	Tested   Status = "tested"   // a detection plan whose binding's tests, or rule's regression tests, ran and passed
	Untested Status = "untested" // a detection plan without passing tests
	Selector Status = "selector" // a selector plan: it finds telemetry, it does not alert
	Inert    Status = "inert"    // nothing to match on
)

// Statuses lists the statuses from best to worst.
var Statuses = []Status{Tested, Untested, Selector, Inert}

// Score is the layer score of a status.
func (s Status) Score() int {
	switch s {
	case Tested:
		return 100
	case Untested:
		return 70
	case Selector:
		return 30
	}
	return 0
}

// Feed is what the telemetry showed of one analytic: of its channels, how many it
// observed (an event of the channel's log source that its selector matched).
type Feed struct {
	Channels int `json:"channels"`
	Observed int `json:"observed"`
	Events   int `json:"events"` // events that matched one of its channels
}

// Fed reports whether every channel was observed.
func (f Feed) Fed() bool { return f.Channels > 0 && f.Observed == f.Channels }

// Analytic is one analytic's place in the report, or a Sigma rule's (Rule set).
type Analytic struct {
	ID     string `json:"id"`
	Rule   string `json:"rule,omitempty"` // the Sigma rule's title; "" for an ATT&CK analytic
	Status Status `json:"status"`
	Feed   *Feed  `json:"feed,omitempty"` // nil without telemetry
}

// Label names the analytic in the layer and tables: its id, or a rule by its title.
func (a Analytic) Label() string {
	if a.Rule != "" {
		return "Sigma: " + a.Rule
	}
	return a.ID
}

// Technique is one technique (or sub-technique) under one tactic, with its analytics, best
// first.
type Technique struct {
	ID        string     `json:"technique_id"`
	Name      string     `json:"name"`
	Tactic    string     `json:"tactic"` // ATT&CK short name: credential-access
	Status    Status     `json:"status"`
	Analytics []Analytic `json:"analytics"`
}

// Report is the coverage of the loaded analytics.
type Report struct {
	Domain     string      `json:"domain"`
	Platforms  []string    `json:"platforms,omitempty"` // the platforms the analytics were restricted to
	Techniques []Technique `json:"techniques"`          // by tactic, then technique id
}

// Input is what a report is built from: the compiled plans, which analytics' tests passed,
// and (optionally) what the telemetry fed.
type Input struct {
	Plans []*plan.Plan
	// Tested holds the analytics whose binding's test cases ran and all passed, and the
	// Sigma rules (by id) whose regression tests did.
	Tested map[string]bool
	// Feeds holds per analytic what the telemetry observed; nil without telemetry.
	Feeds map[string]Feed
	// Platforms are the platforms Plans were restricted to (OnPlatforms), if any: the report
	// names them and the layer filters on them.
	Platforms []string
}

// Build scores every technique of the plans' techniques under each of its tactics
// ("unknown" when the plan does not carry them).
func Build(in Input) *Report {
	r := &Report{Domain: domainOf(in.Plans), Platforms: in.Platforms}
	byKey := map[[2]string]*Technique{}
	for _, p := range in.Plans {
		a := Analytic{ID: p.ID, Status: statusOf(p, in.Tested)}
		if p.Origin == plan.OriginSigma {
			a.Rule = p.Name
		}
		if in.Feeds != nil {
			f := in.Feeds[p.ID]
			f.Channels = len(p.Channels)
			a.Feed = &f
		}
		for _, t := range p.Techniques {
			for _, tactic := range tacticsOrUnknown(t) {
				key := [2]string{tactic, t.ID}
				tech := byKey[key]
				if tech == nil {
					tech = &Technique{ID: t.ID, Name: t.Name, Tactic: tactic, Status: Inert}
					byKey[key] = tech
				}
				tech.Analytics = append(tech.Analytics, a)
				if rank(a.Status) < rank(tech.Status) {
					tech.Status = a.Status
				}
			}
		}
	}
	for _, t := range byKey {
		sort.SliceStable(t.Analytics, func(i, j int) bool {
			ai, aj := t.Analytics[i], t.Analytics[j]
			if rank(ai.Status) != rank(aj.Status) {
				return rank(ai.Status) < rank(aj.Status)
			}
			return ai.ID < aj.ID
		})
		r.Techniques = append(r.Techniques, *t)
	}
	sort.Slice(r.Techniques, func(i, j int) bool {
		a, b := r.Techniques[i], r.Techniques[j]
		if a.Tactic != b.Tactic {
			return a.Tactic < b.Tactic
		}
		return a.ID < b.ID
	})
	return r
}

func statusOf(p *plan.Plan, tested map[string]bool) Status {
	switch p.Kind {
	case plan.KindDetection:
		if tested[p.ID] {
			return Tested
		}
		return Untested
	case plan.KindSelector:
		return Selector
	}
	return Inert
}

func rank(s Status) int { return slices.Index(Statuses, s) }

func tacticsOrUnknown(t plan.Technique) []string {
	if len(t.Tactics) == 0 {
		return []string{"unknown"}
	}
	return t.Tactics
}

// domainOf is the ATT&CK domain most plans belong to ("enterprise-attack").
func domainOf(plans []*plan.Plan) string {
	count := map[string]int{}
	best := "enterprise-attack"
	for _, p := range plans {
		for _, d := range p.Domains {
			count[d]++
			if count[d] > count[best] || (count[d] == count[best] && strings.Compare(d, best) < 0) {
				best = d
			}
		}
	}
	return best
}
