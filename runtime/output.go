package runtime

import (
	"encoding/json"
	"time"

	"github.com/stixcel/stixcel/plan"
)

// Output is what the engine emits: an *Alert or a *Hunt.
type Output interface {
	output()
}

// Alert is one detection (DESIGN §8). Its JSON has a fixed field order; `group` and `params`
// are objects with sorted keys.
type Alert struct {
	Analytic   string           `json:"analytic"`
	Name       string           `json:"name"`
	Techniques []plan.Technique `json:"techniques"`
	// Group holds the plan's group_by values; a field the events lacked is null.
	Group     map[string]any `json:"group"`
	FirstSeen time.Time      `json:"first_seen"`
	LastSeen  time.Time      `json:"last_seen"`
	// Channels lists the matched channels in plan order (c1..cN).
	Channels []AlertChannel `json:"channels"`
	// Params are the values in force, in the plan's JSON form.
	Params map[string]any `json:"params"`
}

// AlertChannel is one matched channel of an alert.
type AlertChannel struct {
	ID    string `json:"id"`
	Count int64  `json:"count"`
	// Events are the first contributing events (at most WithMaxContributors), in event time.
	Events []EventRef `json:"events"`
}

// EventRef cites an event by file and line.
type EventRef struct {
	Source string `json:"source"`
	Line   int    `json:"line"`
}

// Hunt is a selector plan's match in hunt mode: one per event and matching channel.
type Hunt struct {
	Analytic string
	Channel  string
	Source   string
	Line     int
}

func (*Alert) output() {}
func (*Hunt) output()  {}

// MarshalJSON writes {"hunt": true, "analytic", "channel", "source", "line"}.
func (h *Hunt) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Hunt     bool   `json:"hunt"`
		Analytic string `json:"analytic"`
		Channel  string `json:"channel"`
		Source   string `json:"source"`
		Line     int    `json:"line"`
	}{true, h.Analytic, h.Channel, h.Source, h.Line})
}

// MarshalJSON writes times as RFC 3339 in UTC.
func (a *Alert) MarshalJSON() ([]byte, error) {
	type plain Alert
	p := plain(*a)
	p.FirstSeen = p.FirstSeen.UTC()
	p.LastSeen = p.LastSeen.UTC()
	return json.Marshal(p)
}
