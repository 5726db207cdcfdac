package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/stixcel/stixcel/plan"
)

// Output is what the engine emits: an *Alert or a *Hunt.
type Output interface {
	output()
}

// Alert is one detection (docs/alerts.md), readable on its own. Its JSON has a fixed field order;
// `group` and `params` are objects with sorted keys.
type Alert struct {
	// ID is stable: see AlertID.
	ID       string `json:"id"`
	Analytic string `json:"analytic"`
	// StixID is the analytic's STIX id (x-mitre-analytic--…), what a STIX sighting cites.
	StixID            string           `json:"stix_id"`
	Name              string           `json:"name"`
	DetectionStrategy Strategy         `json:"detection_strategy"`
	Techniques        []plan.Technique `json:"techniques"`
	Platforms         []string         `json:"platforms"`
	// Group holds the plan's group_by values; a field the events lacked is null.
	Group     map[string]any `json:"group"`
	FirstSeen time.Time      `json:"first_seen"`
	LastSeen  time.Time      `json:"last_seen"`
	// Channels lists the matched channels in plan order (c1..cN); only channels the
	// condition references ever match.
	Channels []AlertChannel `json:"channels"`
	// Params are the values in force, in the plan's JSON form.
	Params map[string]any `json:"params"`
	// Severity is the plan's level (a Sigma rule's, or a binding's); absent when it has none.
	Severity string `json:"severity,omitempty"`
	// Rule is the Sigma rule of a Sigma plan, absent for an analytic's alert.
	Rule *plan.Rule `json:"rule,omitempty"`
	// Analytics are a Sigma plan's ATT&CK analytics and their detection strategies.
	Analytics []plan.AnalyticRef `json:"analytics,omitempty"`
	// References are the plan's links (a rule's or a binding's).
	References []string `json:"references,omitempty"`
}

// Title is what a reader sees first of an alert: its rule's title, else its detection
// strategy's name, else the analytic's name.
func (a *Alert) Title() string {
	switch {
	case a.Rule != nil && a.Rule.Title != "":
		return a.Rule.Title
	case a.DetectionStrategy.Name != "":
		return a.DetectionStrategy.Name
	}
	return a.Name
}

// Strategy is the detection strategy an analytic belongs to; Name is "" when the bundles
// that made the plan lacked it.
type Strategy struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// AlertChannel is one matched channel of an alert: the log source reference it stands for,
// how many of the group's events it matched, and the first of them.
type AlertChannel struct {
	ID            string             `json:"id"`
	LogSource     string             `json:"log_source"`
	DataComponent plan.DataComponent `json:"data_component"`
	Channel       string             `json:"channel"`
	Count         int64              `json:"count"`
	// Events are the first contributing events (at most WithMaxContributors), in event time.
	Events []*Evidence `json:"events"`
}

// EventRef cites an event by file and line.
type EventRef struct {
	Source string `json:"source"`
	Line   int    `json:"line"`
}

// Hunt is a selector plan's match in hunt mode: one per event and matching channel, with
// the analytic's context, the event's entity fields and the fields the selector read. It is
// written as it is (no MarshalJSON of its own: hunt records come by the hundred thousand).
type Hunt struct {
	// Hunt is always true: it tells a hunt record from an alert in a JSON stream.
	Hunt              bool             `json:"hunt"`
	Time              time.Time        `json:"time"` // event time, UTC
	Analytic          string           `json:"analytic"`
	Name              string           `json:"name"`
	DetectionStrategy Strategy         `json:"detection_strategy"`
	Techniques        []plan.Technique `json:"techniques"`
	Channel           string           `json:"channel"`
	LogSource         string           `json:"log_source"`
	// Group holds the plan's group_by values, or, for a plan without group_by, the event's
	// entity fields among HuntEntityFields that it has.
	Group  map[string]any `json:"group"`
	Source string         `json:"source"`
	Line   int            `json:"line"`
	// Fields are what the channel's selector read of the event, as alerts show them.
	Fields EvidenceFields `json:"fields"`
	// Truncated is Fields.Truncated(): the lengths of the values that were cut.
	Truncated map[string]int `json:"truncated,omitempty"`
}

// HuntEntityFields are the fields a hunt record shows to say where an event happened, for
// plans without group_by: the entity fields of the built-in source profiles and events.
var HuntEntityFields = []string{"host", "device_id"}

func (*Alert) output() {}
func (*Hunt) output()  {}

// MarshalJSON writes times as RFC 3339 in UTC.
func (a *Alert) MarshalJSON() ([]byte, error) {
	type plain Alert
	p := plain(*a)
	p.FirstSeen = p.FirstSeen.UTC()
	p.LastSeen = p.LastSeen.UTC()
	return json.Marshal(p)
}

// MarshalJSON writes the time in UTC and, after the fields, the lengths of the cut values:
// {"time", "source", "line", "fields", "truncated"}.
func (e *Evidence) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Time      time.Time      `json:"time"`
		Source    string         `json:"source"`
		Line      int            `json:"line"`
		Fields    EvidenceFields `json:"fields"`
		Truncated map[string]int `json:"truncated,omitempty"`
	}{e.Time.UTC(), e.Source, e.Line, e.Fields, e.Fields.Truncated()})
}

// AlertID is an alert's stable id: the first 16 bytes, in hex, of the SHA-256 of
//
//	"stixcel.alert/v1" NUL analytic NUL group NUL opened [NUL source NUL line]
//
// where group is the JSON of the group_by values (keys sorted, as Alert.Group is written) and
// opened is the event time at which the condition first held for the group — the start of
// the alert's window — in RFC 3339 with nanoseconds, UTC. A plan without a condition alerts
// once per event, so its alerts also hash the event's source and line. The id depends on
// nothing else (worker count, input order, params, wall clock): a replay of the same events
// gives the same ids, so a consumer (a NATS Nats-Msg-Id) can drop duplicates.
func AlertID(analytic string, group map[string]any, opened time.Time, ref *EventRef) string {
	h := sha256.New()
	groupJSON, err := json.Marshal(group)
	if err != nil { // group values come from JSON: cannot happen
		groupJSON = []byte(err.Error())
	}
	parts := []string{"stixcel.alert/v1", analytic, string(groupJSON), opened.UTC().Format(time.RFC3339Nano)}
	if ref != nil {
		parts = append(parts, ref.Source, strconv.Itoa(ref.Line))
	}
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
