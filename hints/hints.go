// Package hints says what a first run on real logs should be told after its summary: raw
// Windows lines read without --source, events that reached no plan while bindings wait for
// analytics not loaded (and which --bundle has them).
package hints

import (
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
)

// MaxHintIDs is how many analytic ids a hint names before "and n more".
const MaxHintIDs = 5

// Hints collects what a first run on real logs should be told: one line per hint on
// stderr after the summary. A nil *Hints collects nothing.
type Hints struct {
	// noSource is set when --source was not given: raw Windows lines may then be rejected.
	noSource bool
	// rawWindows counts lines rejected for a missing time that look like raw Windows event
	// JSON.
	rawWindows int64
	// waiting are the bindings not applied because their analytic is not loaded.
	waiting []*pack.Binding
	// read are the log sources the plans read; nil when no binding waits (nothing to hint).
	read map[string]bool
	// unread counts events whose log source no plan reads.
	unread int64
}

// New prepares the hints of a run of set compiled from packs (none for a compiled artifact,
// nil set for no plans); noSource is set when the lines are read without a source profile.
func New(packs []*pack.Pack, set *plan.Set, noSource bool) *Hints {
	h := &Hints{noSource: noSource}
	if len(packs) > 0 && set != nil {
		have := map[string]bool{}
		for _, p := range set.Plans {
			have[p.ID], have[p.StixID] = true, true
		}
		h.waiting = WaitingBindings(packs, func(id string) bool { return have[id] })
	}
	if len(h.waiting) > 0 {
		h.read = logSources(set)
	}
	return h
}

// Rejected notes a rejected line.
func (h *Hints) Rejected(rej *event.Rejection) {
	if h != nil && h.noSource && rej.Reason == event.ReasonMissingTime && looksLikeRawWindows(rej.Raw) {
		h.rawWindows++
	}
}

// Processed notes an event the run processed.
func (h *Hints) Processed(ev *event.Event) {
	if h != nil && h.read != nil && !h.read[ev.LogSource] {
		h.unread++
	}
}

// Write prints the hints that apply.
func (h *Hints) Write(w io.Writer) {
	if h == nil {
		return
	}
	if h.rawWindows > 0 {
		fmt.Fprintf(w, "hint: %d of the lines rejected for a missing time look like raw Windows event JSON (Channel, EventID, TimeCreated): use `--source windows`\n",
			h.rawWindows)
	}
	if h.unread > 0 {
		fmt.Fprintf(w, "hint: %d events reached no plan (no loaded analytic reads their log source), and %s: pass %s\n",
			h.unread, waitingText(h.waiting), BundleFlagsFor(h.waiting))
	}
}

// WaitingBindings returns the bindings of packs whose analytic is not loaded, sorted by
// analytic.
func WaitingBindings(packs []*pack.Pack, loaded func(id string) bool) []*pack.Binding {
	var out []*pack.Binding
	for _, p := range packs {
		for _, b := range p.Bindings {
			if !loaded(b.Analytic.Value) {
				out = append(out, b)
			}
		}
	}
	slices.SortFunc(out, func(a, b *pack.Binding) int { return strings.Compare(a.Analytic.Value, b.Analytic.Value) })
	return out
}

// logSources returns the log sources the channels of set read.
func logSources(set *plan.Set) map[string]bool {
	read := map[string]bool{}
	for _, p := range set.Plans {
		for _, ch := range p.Channels {
			read[ch.LogSource] = true
		}
	}
	return read
}

// waitingText says which bindings wait: "13 bindings wait for analytics that are not loaded
// (AN0165, AN0235, ... and 8 more)".
func waitingText(bs []*pack.Binding) string {
	ids := make([]string, 0, len(bs))
	for _, b := range bs {
		ids = append(ids, b.Analytic.Value)
	}
	more := ""
	if len(ids) > MaxHintIDs {
		more = fmt.Sprintf(" and %d more", len(ids)-MaxHintIDs)
		ids = ids[:MaxHintIDs]
	}
	if len(bs) == 1 {
		return fmt.Sprintf("1 binding waits for analytic %s, which is not loaded", ids[0])
	}
	return fmt.Sprintf("%d bindings wait for analytics that are not loaded (%s%s)", len(bs), strings.Join(ids, ", "), more)
}

// BundleFlagsFor names the bundles that hold the analytics of bindings, by the ATT&CK domain
// directory the binding sits in as in the built-in pack (enterprise/, mobile/, ics/):
// "--bundle enterprise-attack-….json".
func BundleFlagsFor(bs []*pack.Binding) string {
	var domains []string
	for _, b := range bs {
		if d := BindingDomain(b.File); !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	slices.Sort(domains)
	flags := make([]string, len(domains))
	for i, d := range domains {
		flags[i] = "--bundle " + d + "-attack-….json"
		if d == "" {
			flags[i] = "--bundle with the ATT&CK bundle that has them"
		}
	}
	return strings.Join(flags, " ")
}

// BindingDomain is the ATT&CK domain a binding file's directory names ("enterprise",
// "mobile", "ics"), as in the built-in pack, or "".
func BindingDomain(file string) string {
	for dir := path.Dir(filepath.ToSlash(file)); dir != "." && dir != "/"; dir = path.Dir(dir) {
		switch base := path.Base(dir); base {
		case "enterprise", "mobile", "ics":
			return base
		}
	}
	return ""
}

// looksLikeRawWindows reports whether a line is a JSON object with the fields of Windows
// event JSON as collectors export it: EventID, and Channel, TimeCreated or @timestamp.
func looksLikeRawWindows(raw []byte) bool {
	obj := gjson.ParseBytes(raw)
	if !obj.IsObject() {
		return false
	}
	var eventID, other bool
	obj.ForEach(func(k, _ gjson.Result) bool {
		switch k.String() {
		case "EventID":
			eventID = true
		case "Channel", "TimeCreated", "@timestamp":
			other = true
		}
		return !(eventID && other)
	})
	return eventID && other
}
