package attack

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/TcM1911/stix2"
	"github.com/tidwall/gjson"
)

// parsedObject is a stix2 object with the pre-scan's view of it.
type parsedObject struct {
	raw *rawObject
	obj stix2.STIXObject
}

// builder resolves the graph around analytics: strategies, detects and subtechnique-of
// relationships, techniques and data components.
type builder struct {
	analytics      []parsedObject
	strategies     []parsedObject
	dataComponents map[string]DataComponent
	techniques     map[string]*Technique
	detects        map[string][]*Technique // strategy STIX id -> techniques
	strategyOf     map[string]*Strategy    // analytic STIX id -> strategy
	analyticIDs    map[string]bool         // STIX ids of the loaded analytics
	warnings       []Warning
	ofKind         map[string]int // warnings seen, by format
	kinds          []omitted      // kinds of warnings past maxWarningsOfKind, in order
	skipped        int
}

func newBuilder(objs []parsedObject) *builder {
	b := &builder{
		dataComponents: map[string]DataComponent{},
		techniques:     map[string]*Technique{},
		detects:        map[string][]*Technique{},
		strategyOf:     map[string]*Strategy{},
		analyticIDs:    map[string]bool{},
		ofKind:         map[string]int{},
	}
	var patterns []parsedObject
	var relationships []parsedObject
	for _, p := range objs {
		switch obj := p.obj.(type) {
		case *mitreAnalytic:
			b.analytics = append(b.analytics, p)
			b.analyticIDs[p.raw.id] = true
		case *mitreStrategy:
			b.strategies = append(b.strategies, p)
		case *mitreObject:
			if p.raw.typ == typeDataComponent {
				b.addDataComponent(p.raw.file, obj)
			}
		case *stix2.AttackPattern:
			patterns = append(patterns, p)
			b.addTechnique(p.raw.file, obj)
		case *stix2.Relationship:
			relationships = append(relationships, p)
		}
	}
	b.linkParents(patterns, relationships)
	b.linkDetects(relationships)
	b.linkStrategies()
	return b
}

// maxWarningsOfKind is how many warnings of one kind (one format) loading reports one by
// one; the rest are counted and summarised in one warning, so that a hostile or broken
// bundle with a million dangling relationships prints 21 lines, not a million.
const maxWarningsOfKind = 20

// warningKinds names, for the summary of the warnings past maxWarningsOfKind, what each
// format warns about.
var warningKinds = map[string]string{
	"data component has no mitre-attack external id":                   "data components without an external id",
	"attack-pattern has no mitre-attack external id":                   "attack-patterns without an external id",
	"relationship lacks source_ref or target_ref":                      "relationships without source_ref or target_ref",
	"detects target %s is not loaded":                                  "dangling relationships (detects targets not loaded)",
	"detection strategy has no mitre-attack external id":               "detection strategies without an external id",
	"detection strategy %s lists %s, which is not loaded":              "dangling analytic references of detection strategies",
	"lists %s, already listed by %s; keeping %s":                       "analytics listed by more than one detection strategy",
	"external id %s is also %s's; looking up %s finds %s":              "duplicate analytic external ids",
	"log source reference %d lacks name or x_mitre_data_component_ref": "log source references without name or data component",
	"mutable element %d lacks field":                                   "mutable elements without field",
	"analytic has no mitre-attack external id":                         "analytics without an external id",
	"analytic has no name":                                             "analytics without a name",
	"analytic has no modified timestamp":                               "analytics without a modified timestamp",
	"%d of %d log source references point to data components that are not loaded (their DC ids and names stay empty)": "analytics with log source references to data components that are not loaded",
}

// warnf adds a warning, or counts it when maxWarningsOfKind of its format were added.
func (b *builder) warnf(file, object, format string, args ...any) {
	n := b.ofKind[format]
	b.ofKind[format] = n + 1
	if n < maxWarningsOfKind {
		b.warnings = append(b.warnings, newWarning(file, object, fmt.Sprintf(format, args...)))
		return
	}
	if n == maxWarningsOfKind {
		b.kinds = append(b.kinds, omitted{format: format, file: file})
	}
}

// omitted is a kind of warning past maxWarningsOfKind, and the file of its first omitted one.
type omitted struct{ format, file string }

// summarise adds one warning per kind with omitted warnings, in the order the kinds first
// overflowed: "... and 999,980 more dangling relationships (detects targets not loaded)".
func (b *builder) summarise() {
	for _, k := range b.kinds {
		what, ok := warningKinds[k.format]
		if !ok {
			what = fmt.Sprintf("warnings like %q", k.format)
		}
		more := b.ofKind[k.format] - maxWarningsOfKind
		b.warnings = append(b.warnings, newWarning(k.file, "", fmt.Sprintf("... and %s more %s", thousands(more), what)))
	}
}

// thousands renders n with commas between groups of three digits: 999,980.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (b *builder) addDataComponent(file string, dc *mitreObject) {
	id, _ := externalID(dc.ExternalReferences)
	if id == "" {
		b.warnf(file, string(dc.ID), "data component has no mitre-attack external id")
	}
	b.dataComponents[string(dc.ID)] = DataComponent{ID: id, StixID: string(dc.ID), Name: dc.Name}
}

func (b *builder) addTechnique(file string, ap *stix2.AttackPattern) {
	id, _ := externalID(ap.ExternalReferences)
	if id == "" {
		b.warnf(file, string(ap.ID), "attack-pattern has no mitre-attack external id")
	}
	b.techniques[string(ap.ID)] = &Technique{ID: id, StixID: string(ap.ID), Name: ap.Name, Tactics: tactics(ap.KillChainPhase)}
}

// tactics are the phase names of ATT&CK's own kill chains (mitre-attack, mitre-mobile-attack,
// mitre-ics-attack), each once.
func tactics(phases []*stix2.KillChainPhase) []string {
	var out []string
	for _, ph := range phases {
		if ph != nil && attackSources[ph.Name] && ph.Phase != "" && !slices.Contains(out, ph.Phase) {
			out = append(out, ph.Phase)
		}
	}
	return out
}

// linkParents sets each sub-technique's Parent from its subtechnique-of relationship, or,
// lacking one, from the technique whose ID is the part before the dot.
//
// The x_mitre_* properties of attack-patterns are read from the object's own JSON, not from
// GetExtendedTopLevelProperties: stix2 v0.10.3 decodes every object of a FromJSON call into
// one reused map (processObjects' `peak`), so an object lacking a custom property inherits
// the previous object's value.
func (b *builder) linkParents(patterns []parsedObject, relationships []parsedObject) {
	for _, p := range relationships {
		r := p.obj.(*stix2.Relationship)
		if r.RelationshipType != "subtechnique-of" || r.Revoked {
			continue
		}
		sub, parent := b.techniques[string(r.Source)], b.techniques[string(r.Target)]
		if sub != nil && parent != nil {
			sub.Parent = parent
		}
	}
	byID := map[string]*Technique{}
	for _, p := range patterns {
		ap := p.obj.(*stix2.AttackPattern)
		if !ap.Revoked && !gjson.Get(p.raw.data, "x_mitre_deprecated").Bool() {
			t := b.techniques[p.raw.id]
			byID[t.ID] = t
		}
	}
	for _, p := range patterns {
		t := b.techniques[p.raw.id]
		parentID, _, isSub := strings.Cut(t.ID, ".")
		if t.Parent == nil && isSub && gjson.Get(p.raw.data, "x_mitre_is_subtechnique").Bool() {
			t.Parent = byID[parentID]
		}
	}
}

// linkDetects collects each strategy's techniques from `detects` relationships.
func (b *builder) linkDetects(relationships []parsedObject) {
	for _, p := range relationships {
		r := p.obj.(*stix2.Relationship)
		if r.Source == "" || r.Target == "" {
			b.warnf(p.raw.file, string(r.ID), "relationship lacks source_ref or target_ref")
			continue
		}
		if r.RelationshipType != "detects" || r.Revoked {
			continue
		}
		t := b.techniques[string(r.Target)]
		if t == nil {
			b.warnf(p.raw.file, string(r.ID), "detects target %s is not loaded", r.Target)
			continue
		}
		b.detects[string(r.Source)] = append(b.detects[string(r.Source)], t)
	}
}

// linkStrategies maps each analytic to the strategy listing it; when several do, the one
// with the lowest DET id wins and the others are reported.
func (b *builder) linkStrategies() {
	type listing struct {
		strategy *Strategy
		refs     []string
		file     string
	}
	listings := make([]listing, len(b.strategies))
	for i, p := range b.strategies {
		s := p.obj.(*mitreStrategy)
		id, _ := externalID(s.ExternalReferences)
		if id == "" {
			b.warnf(p.raw.file, p.raw.id, "detection strategy has no mitre-attack external id")
		}
		listings[i] = listing{&Strategy{ID: id, StixID: p.raw.id, Name: s.Name}, s.AnalyticRefs, p.raw.file}
	}
	sort.SliceStable(listings, func(i, j int) bool { return listings[i].strategy.ID < listings[j].strategy.ID })
	for _, l := range listings {
		for _, ref := range l.refs {
			if !b.analyticIDs[ref] {
				b.warnf(l.file, l.strategy.StixID, "detection strategy %s lists %s, which is not loaded", l.strategy.ID, ref)
			}
			if prev := b.strategyOf[ref]; prev != nil {
				b.warnf(l.file, l.strategy.StixID, "lists %s, already listed by %s; keeping %s", ref, prev.ID, prev.ID)
				continue
			}
			b.strategyOf[ref] = l.strategy
		}
	}
}

// index builds the sorted analytics.
func (b *builder) index(includeRevoked bool) *Index {
	var analytics []*Analytic
	for _, p := range b.analytics {
		a := b.analytic(p.raw, p.obj.(*mitreAnalytic))
		if (a.Revoked || a.Deprecated) && !includeRevoked {
			b.skipped++
			continue
		}
		analytics = append(analytics, a)
	}
	ix := NewIndex(analytics)
	for _, a := range ix.Analytics {
		if prev := ix.byID[a.ID]; a.ID != "" && prev != a {
			b.warnf(a.File, a.StixID, "external id %s is also %s's; looking up %s finds %s", a.ID, prev.StixID, a.ID, prev.StixID)
		}
	}
	return ix
}

// NewIndex indexes analytics built elsewhere (tests, tools) as loading does: sorted by ID
// then STIX id, looked up by either; of analytics sharing an external id the first in that
// order is found.
func NewIndex(analytics []*Analytic) *Index {
	ix := &Index{Analytics: analytics, byID: map[string]*Analytic{}}
	sortAnalytics(ix.Analytics)
	for _, a := range ix.Analytics {
		ix.byID[a.StixID] = a
		if a.ID != "" && ix.byID[a.ID] == nil {
			ix.byID[a.ID] = a
		}
	}
	return ix
}

func (b *builder) analytic(raw *rawObject, m *mitreAnalytic) *Analytic {
	id, url := externalID(m.ExternalReferences)
	a := &Analytic{
		ID:              id,
		StixID:          raw.id,
		Name:            m.Name,
		Description:     m.Description,
		Version:         m.Version,
		Modified:        raw.modified,
		SpecVersion:     raw.specVersion,
		Domains:         m.Domains,
		Platforms:       m.Platforms,
		Revoked:         m.Revoked,
		Deprecated:      m.Deprecated,
		Strategy:        b.strategyOf[raw.id],
		StrategyFromURL: strategyFromURL(url),
		File:            raw.file,
	}
	b.checkAnalytic(a)
	if a.Strategy != nil {
		a.Techniques = sortedTechniques(b.detects[a.Strategy.StixID])
	}
	unresolved := 0
	for i, ls := range m.LogSources {
		if ls.Name == "" || ls.DataComponentRef == "" {
			b.warnf(raw.file, raw.id, "log source reference %d lacks name or x_mitre_data_component_ref", i)
		}
		dc, ok := b.dataComponents[ls.DataComponentRef]
		if !ok {
			dc = DataComponent{StixID: ls.DataComponentRef}
		}
		if !ok && ls.DataComponentRef != "" {
			unresolved++
		}
		a.LogSources = append(a.LogSources, LogSourceRef{Name: ls.Name, Channel: ls.Channel, DataComponent: dc})
	}
	if unresolved > 0 {
		b.warnf(raw.file, raw.id, "%d of %d log source references point to data components that are not loaded (their DC ids and names stay empty)",
			unresolved, len(m.LogSources))
	}
	for i, me := range m.MutableElements {
		if me.Field == "" {
			b.warnf(raw.file, raw.id, "mutable element %d lacks field", i)
		}
		a.MutableElements = append(a.MutableElements, MutableElement(me))
	}
	return a
}

func (b *builder) checkAnalytic(a *Analytic) {
	if a.ID == "" {
		b.warnf(a.File, a.StixID, "analytic has no mitre-attack external id")
	}
	if a.Name == "" {
		b.warnf(a.File, a.StixID, "analytic has no name")
	}
	if a.Modified == "" {
		b.warnf(a.File, a.StixID, "analytic has no modified timestamp")
	}
}

func sortedTechniques(ts []*Technique) []Technique {
	out := make([]Technique, len(ts))
	for i, t := range ts {
		out[i] = *t
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].StixID < out[j].StixID
	})
	return out
}

// attackSources are the source_name values of ATT&CK's own external references.
var attackSources = map[string]bool{"mitre-attack": true, "mitre-mobile-attack": true, "mitre-ics-attack": true}

// externalID returns the ATT&CK external id and URL of an object.
func externalID(refs []*stix2.ExternalReference) (id, url string) {
	for _, r := range refs {
		if r != nil && attackSources[r.Name] && r.ExternalID != "" {
			return r.ExternalID, r.URL
		}
	}
	return "", ""
}

// strategyFromURL returns "DET0706" from ".../detectionstrategies/DET0706#AN1828".
func strategyFromURL(url string) string {
	_, rest, ok := strings.Cut(url, "/detectionstrategies/")
	if !ok {
		return ""
	}
	end := strings.IndexAny(rest, "#/?")
	if end >= 0 {
		rest = rest[:end]
	}
	return rest
}
