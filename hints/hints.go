// Package hints says what a first run on real logs should be told after its summary: what the
// lines looked like when none was recognised (neither normalized events nor a raw shape a
// built-in profile reads), events that reached no plan while bindings wait for analytics not
// loaded (and which --bundle has them).
package hints

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/termsafe"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/source"
)

// MaxHintIDs is how many analytic ids a hint names before "and n more".
const MaxHintIDs = 5

// Hints collects what a first run on real logs should be told: one line per hint on
// stderr after the summary. A nil *Hints collects nothing.
type Hints struct {
	// noSource is set when --source was not given: lines are then normalized events, and
	// unless noShapes the raw shapes the built-in profiles recognise (source.NewImplied).
	noSource, noShapes bool
	// processed counts the events processed; unrecognised is the first line rejected as
	// neither (not JSON, not an object, no time or log source), and unrecognisedN counts them.
	processed     int64
	unrecognised  *event.Rejection
	unrecognisedN int64
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

// NoImpliedShapes says that lines read without --source are normalized events only (publish:
// serve's workers read no raw shapes), so that a hint names --source instead.
func (h *Hints) NoImpliedShapes() {
	if h != nil {
		h.noShapes = true
	}
}

// unrecognisedReasons are the reasons of lines that were not understood as events at all.
var unrecognisedReasons = map[string]bool{
	event.ReasonInvalidUTF8: true, event.ReasonInvalidJSON: true, event.ReasonNotObject: true,
	event.ReasonMissingTime: true, event.ReasonMissingLogSource: true,
}

// Rejected notes a rejected line.
func (h *Hints) Rejected(rej *event.Rejection) {
	if h == nil || !h.noSource || !unrecognisedReasons[rej.Reason] {
		return
	}
	h.unrecognisedN++
	if h.unrecognised == nil {
		first := *rej
		first.Raw = bytes.Clone(rej.Raw[:min(len(rej.Raw), maxSeen)])
		h.unrecognised = &first
	}
}

// maxSeen is how much of the first unrecognised line a hint keeps to describe it.
const maxSeen = 64 << 10

// Processed notes an event the run processed.
func (h *Hints) Processed(ev *event.Event) {
	if h == nil {
		return
	}
	h.processed++
	if h.read != nil && !h.read[ev.LogSource] {
		h.unread++
	}
}

// Write prints the hints that apply.
func (h *Hints) Write(w io.Writer) {
	if h == nil {
		return
	}
	if r := h.unrecognised; h.processed == 0 && r != nil {
		fmt.Fprintf(w, "hint: no line was recognised (%d rejected): %s; %s:%d is %s: %s\n", h.unrecognisedN,
			h.recognisable(), termsafe.Line(r.File), r.Line, Describe(r), h.advice(r))
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

// recognisable says what the lines would have had to be.
func (h *Hints) recognisable() string {
	if h.noShapes {
		return "they are not normalized events (time, log_source)"
	}
	return "they are neither normalized events (time, log_source) nor raw logs of a shape stixcel reads without --source (" + impliedShapes() + ")"
}

// advice says what to do about lines like r.
func (h *Hints) advice(r *event.Rejection) string {
	switch {
	case !gjson.ValidBytes(r.Raw) || !gjson.ParseBytes(r.Raw).IsObject():
		return "stixcel reads one JSON object per line (docs/events.md)"
	case h.noShapes:
		return "pass --source with a built-in profile for the raw logs it reads (" + impliedShapes() + "), or a source profile of yours, --source FILE.yaml (docs/events.md)"
	}
	return "map such logs with a source profile, --source FILE.yaml (docs/events.md)"
}

// impliedShapes names the shapes the built-in profiles recognise.
func impliedShapes() string {
	ps, err := source.ImpliedBuiltins()
	if err != nil {
		return "none: " + err.Error()
	}
	return source.ShapesText(ps...)
}

// Describe says what a rejected line looks like, for a reader who must map it: "a JSON object
// with keys a, b, c", "XML", "not UTF-8 text (a binary file?)".
func Describe(r *event.Rejection) string {
	raw := bytes.TrimSpace(r.Raw)
	switch {
	case r.Reason == event.ReasonInvalidUTF8:
		return "not UTF-8 text (a binary or compressed file?)"
	case len(raw) > 0 && raw[0] == '<':
		return "XML or markup"
	}
	v := gjson.ParseBytes(raw)
	switch {
	case !gjson.ValidBytes(raw):
		return "not valid JSON"
	case v.IsArray():
		return "a JSON array"
	case !v.IsObject():
		return "a JSON " + v.Type.String()
	}
	var keys []string
	n := 0
	v.ForEach(func(k, _ gjson.Result) bool {
		if n < MaxHintKeys {
			keys = append(keys, termsafe.Line(k.String()))
		}
		n++
		return true
	})
	if n == 0 {
		return "an empty JSON object"
	}
	more := ""
	if n > len(keys) {
		more = fmt.Sprintf(" and %d more", n-len(keys))
	}
	return fmt.Sprintf("a JSON object with %s %s%s", plural(int64(n), "key", "keys"), strings.Join(keys, ", "), more)
}

// MaxHintKeys is how many keys of a line a hint names.
const MaxHintKeys = 8

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
