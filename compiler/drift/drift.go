// Package drift compares two ATT&CK releases analytic by analytic: the analytics a newer
// release added, removed, revoked or deprecated, and for each analytic in both what changed
// in the parts a binding relies on: its channels (log source references: log source, data
// component, text, count and order), its mutable elements, its detection strategy and the
// techniques that strategy detects.
//
// ATT&CK changes analytics without bumping x_mitre_version (v18.0 → v18.1: 322 enterprise
// analytics changed their channels, all at version 1.0 in both), so the comparison is of
// content, never of versions.
package drift

import (
	"slices"
	"strconv"
	"strings"

	"github.com/stixcel/stixcel/compiler/attack"
)

// How an analytic's channels changed, from the most to the least consequential: a report
// files each changed analytic under the first that applies.
const (
	// ChannelsCount: the analytic has more or fewer channels, so positional ids (c2) may
	// name another log source.
	ChannelsCount = "count"
	// ChannelsLogSource: a channel's log source is another one.
	ChannelsLogSource = "log_source"
	// ChannelsCase: a channel's log source name changed only in letter case.
	ChannelsCase = "log_source_case"
	// ChannelsDataComponent: a channel's data component changed.
	ChannelsDataComponent = "data_component"
	// ChannelsText: only a channel's text changed.
	ChannelsText = "text"
)

// channelKinds lists the channel change kinds in order of consequence.
var channelKinds = []string{ChannelsCount, ChannelsLogSource, ChannelsCase, ChannelsDataComponent, ChannelsText}

// Report is the comparison of two releases.
type Report struct {
	Old        Release          `json:"old"`
	New        Release          `json:"new"`
	Summary    Summary          `json:"summary"`
	Added      []string         `json:"added"`
	Removed    []string         `json:"removed"`
	Revoked    []string         `json:"revoked"`
	Deprecated []string         `json:"deprecated"`
	Changed    []*AnalyticDrift `json:"changed"`
	// Bindings are the pack bindings that drifted (CheckBindings); nil without packs.
	Bindings []BindingDrift `json:"bindings,omitempty"`
	// UpToDate are the files of the bindings on analytics that changed whose written_for
	// fingerprint is already the new release's (CheckBindings): they have not drifted.
	UpToDate []string `json:"up_to_date,omitempty"`

	now *attack.Index // the new release, whose fingerprints CheckBindings compares
}

// Release names one side of the comparison.
type Release struct {
	Files     []string `json:"files"`
	Analytics int      `json:"analytics"` // neither revoked nor deprecated
}

// Summary counts the report's findings.
type Summary struct {
	Added      int `json:"added"`
	Removed    int `json:"removed"`
	Revoked    int `json:"revoked"`
	Deprecated int `json:"deprecated"`
	// Channels counts the analytics whose channels changed, in all and by the most
	// consequential kind of change (the Channels* constants).
	Channels        int            `json:"channels"`
	ChannelsBy      map[string]int `json:"channels_by"`
	MutableElements int            `json:"mutable_elements"`
	Strategy        int            `json:"strategy"`
	Techniques      int            `json:"techniques"`
}

// AnalyticDrift is what changed in one analytic present in both releases.
type AnalyticDrift struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Version Changed `json:"version"`
	// ChannelChange is the most consequential kind of channel change, "" when the channels
	// are the same.
	ChannelChange   string          `json:"channel_change,omitempty"`
	Channels        []ChannelDrift  `json:"channels,omitempty"`
	MutableElements *ElementsDrift  `json:"mutable_elements,omitempty"`
	Strategy        *Changed        `json:"strategy,omitempty"`
	Techniques      *TechniqueDrift `json:"techniques,omitempty"`
}

// Changed is a value before and after.
type Changed struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// ChannelDrift is one channel position that changed: Old or New is nil when the position
// exists on one side only.
type ChannelDrift struct {
	ID     string   `json:"id"` // c1..cN, the position
	Change []string `json:"change"`
	Old    *Channel `json:"old"`
	New    *Channel `json:"new"`
}

// Channel is a log source reference as a binding sees it.
type Channel struct {
	LogSource     string `json:"log_source"`
	DataComponent string `json:"data_component"` // "DC0078 Process Access", or the STIX id when not loaded
	Channel       string `json:"channel"`

	dataComponentID string // the STIX id: data components compare by it, loaded or not
}

// ElementsDrift is how the mutable elements changed, by field name.
type ElementsDrift struct {
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
	Changed []string `json:"changed,omitempty"` // same field, another description
	Order   bool     `json:"order,omitempty"`   // same elements in another order
}

// TechniqueDrift is how the detected techniques changed, by id.
type TechniqueDrift struct {
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
}

// Compare compares two indexes loaded with attack.Options{IncludeRevoked: true}, so that
// revocations and deprecations are seen.
func Compare(was, now *attack.Index) *Report {
	r := &Report{Added: []string{}, Removed: []string{}, Revoked: []string{}, Deprecated: []string{}, Changed: []*AnalyticDrift{}, now: now}
	r.Summary.ChannelsBy = map[string]int{}
	r.Old.Analytics, r.New.Analytics = active(was), active(now)
	for _, a := range was.Analytics {
		b := now.Analytic(a.ID)
		switch {
		case b == nil:
			r.Removed = append(r.Removed, a.ID)
		case b.Revoked && !a.Revoked:
			r.Revoked = append(r.Revoked, a.ID)
		case b.Deprecated && !a.Deprecated:
			r.Deprecated = append(r.Deprecated, a.ID)
		default:
			if d := compareAnalytic(a, b); d != nil {
				r.Changed = append(r.Changed, d)
			}
		}
	}
	for _, b := range now.Analytics {
		if was.Analytic(b.ID) == nil {
			r.Added = append(r.Added, b.ID)
		}
	}
	r.summarise()
	return r
}

// active counts the analytics neither revoked nor deprecated.
func active(ix *attack.Index) int {
	n := 0
	for _, a := range ix.Analytics {
		if !a.Revoked && !a.Deprecated {
			n++
		}
	}
	return n
}

func (r *Report) summarise() {
	s := &r.Summary
	s.Added, s.Removed, s.Revoked, s.Deprecated = len(r.Added), len(r.Removed), len(r.Revoked), len(r.Deprecated)
	for _, d := range r.Changed {
		if d.ChannelChange != "" {
			s.Channels++
			s.ChannelsBy[d.ChannelChange]++
		}
		if d.MutableElements != nil {
			s.MutableElements++
		}
		if d.Strategy != nil {
			s.Strategy++
		}
		if d.Techniques != nil {
			s.Techniques++
		}
	}
}

// compareAnalytic returns what changed between two versions of an analytic, nil when
// nothing a binding relies on did.
func compareAnalytic(a, b *attack.Analytic) *AnalyticDrift {
	d := &AnalyticDrift{ID: b.ID, Name: b.Name, Version: Changed{Old: a.Version, New: b.Version}}
	d.Channels, d.ChannelChange = compareChannels(a.LogSources, b.LogSources)
	d.MutableElements = compareElements(a.MutableElements, b.MutableElements)
	if strategyID(a) != strategyID(b) {
		d.Strategy = &Changed{Old: strategyName(a), New: strategyName(b)}
	}
	if a.Strategy != nil && b.Strategy != nil { // a bundle without the strategy lists no techniques
		d.Techniques = compareTechniques(a.Techniques, b.Techniques)
	}
	if d.ChannelChange == "" && d.MutableElements == nil && d.Strategy == nil && d.Techniques == nil {
		return nil
	}
	return d
}

// compareChannels compares log source references position by position; kind is the most
// consequential change ("" for none).
func compareChannels(was, now []attack.LogSourceRef) (drifts []ChannelDrift, kind string) {
	kinds := map[string]bool{}
	if len(was) != len(now) {
		kinds[ChannelsCount] = true
	}
	for i := range max(len(was), len(now)) {
		cd := ChannelDrift{ID: ChannelID(i)}
		if i < len(was) {
			cd.Old = channelOf(was[i])
		}
		if i < len(now) {
			cd.New = channelOf(now[i])
		}
		cd.Change = channelChanges(cd.Old, cd.New)
		if len(cd.Change) == 0 {
			continue
		}
		for _, k := range cd.Change {
			kinds[k] = true
		}
		drifts = append(drifts, cd)
	}
	for _, k := range channelKinds {
		if kinds[k] {
			return drifts, k
		}
	}
	return drifts, ""
}

// channelChanges lists how one position changed, in order of consequence.
func channelChanges(was, now *Channel) []string {
	if was == nil || now == nil {
		return []string{ChannelsCount}
	}
	var out []string
	switch {
	case was.LogSource == now.LogSource:
	case strings.EqualFold(was.LogSource, now.LogSource):
		out = append(out, ChannelsCase)
	default:
		out = append(out, ChannelsLogSource)
	}
	if was.dataComponentID != now.dataComponentID {
		out = append(out, ChannelsDataComponent)
	}
	if was.Channel != now.Channel {
		out = append(out, ChannelsText)
	}
	return out
}

// ChannelID is the binding's name for the channel at position i: c1, c2, ...
func ChannelID(i int) string { return "c" + strconv.Itoa(i+1) }

func channelOf(ref attack.LogSourceRef) *Channel {
	return &Channel{LogSource: ref.Name, DataComponent: dataComponentName(ref.DataComponent), Channel: ref.Channel,
		dataComponentID: ref.DataComponent.StixID}
}

func dataComponentName(dc attack.DataComponent) string {
	if dc.ID == "" {
		return dc.StixID
	}
	return strings.TrimSpace(dc.ID + " " + dc.Name)
}

// strategyID is the analytic's detection strategy id: from the strategy object, else from
// the analytic's own reference URL (a bundle may lack the strategy object).
func strategyID(a *attack.Analytic) string {
	if a.Strategy != nil {
		return a.Strategy.ID
	}
	return a.StrategyFromURL
}

func strategyName(a *attack.Analytic) string {
	if a.Strategy == nil {
		return a.StrategyFromURL
	}
	return strings.TrimSpace(a.Strategy.ID + " " + a.Strategy.Name)
}

// compareElements compares mutable elements by field; nil when they are the same.
func compareElements(was, now []attack.MutableElement) *ElementsDrift {
	if slices.Equal(was, now) {
		return nil
	}
	before := map[string]string{}
	for _, e := range was {
		before[e.Field] = e.Description
	}
	after := map[string]string{}
	d := &ElementsDrift{}
	for _, e := range now {
		after[e.Field] = e.Description
		desc, ok := before[e.Field]
		switch {
		case !ok:
			d.Added = append(d.Added, e.Field)
		case desc != e.Description:
			d.Changed = append(d.Changed, e.Field)
		}
	}
	for _, e := range was {
		if _, ok := after[e.Field]; !ok {
			d.Removed = append(d.Removed, e.Field)
		}
	}
	d.Order = d.Added == nil && d.Removed == nil && d.Changed == nil
	return d
}

// compareTechniques compares the detected techniques by id; nil when they are the same.
func compareTechniques(was, now []attack.Technique) *TechniqueDrift {
	ids := func(ts []attack.Technique) []string {
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = t.ID
		}
		return out
	}
	a, b := ids(was), ids(now)
	d := &TechniqueDrift{Added: missingFrom(a, b), Removed: missingFrom(b, a)}
	if d.Added == nil && d.Removed == nil {
		return nil
	}
	return d
}

// missingFrom lists the ids of b that a lacks, in b's order.
func missingFrom(a, b []string) []string {
	var out []string
	for _, id := range b {
		if !slices.Contains(a, id) {
			out = append(out, id)
		}
	}
	return out
}
