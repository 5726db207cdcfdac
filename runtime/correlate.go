package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/google/cel-go/interpreter"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/jsonl"
)

// correlator holds one plan's window state, keyed by group.
type correlator struct {
	plan   *compiledPlan
	groups map[string]*group
	// byActivity orders groups by their last match, oldest first: the sweep reads its front.
	byActivity activityList
	peak       int  // most groups held since the map was last rebuilt
	holding    bool // listed in its shard's holding (shard.sweep)
	// states, views and act are scratch for condition evaluation, set per evaluation.
	states   []*celenv.ChannelState
	views    []recurrenceView
	rec      recurrences // the recurring() calls of the condition, for every group's series index
	act      conditionActivation
	keyBuf   []byte
	seriesBf []byte
}

// group is the state of one group key: the matches of the current window per channel.
type group struct {
	key     string
	values  []any     // the group_by values, in group_by order (nil for a missing field)
	windows []window  // per channel index
	newest  time.Time // newest match time of the group
	// spent is the close of the last emitted alert: matches at or before it were evidence
	// for that alert and are ignored.
	spent time.Time
	alert *openAlert
	// valueIdx is the index of the series values of all windows, built when a condition
	// first asks (celenv.ValueAggregate) and kept until the windows are spent.
	valueIdx *valueIndex
	// dirty marks a group whose condition is still to be evaluated over its newest instant
	// (the shard's dirty list holds it): see settle.
	dirty bool
	// fixed is the approximate memory of the group without its windows and alert; bytes
	// what refresh last counted in all, which the shard's state total includes.
	fixed, bytes int64
	// active is the shard clock (the engine's event count) of the group's last match, and
	// orders the activity list; eviction at the group cap takes the smallest across shards.
	active int64
	// prev and next link the correlator's activity list.
	prev, next *group
}

// match is one event that matched one channel.
type match struct {
	at       time.Time
	series   string
	evidence *Evidence // what the event shows: its place and the channel's fields
}

func newCorrelator(cp *compiledPlan) *correlator {
	c := &correlator{plan: cp, groups: map[string]*group{}}
	c.states = make([]*celenv.ChannelState, len(cp.channels))
	c.views = make([]recurrenceView, len(cp.channels))
	chans := make(map[string]any, len(cp.channels))
	for i, ch := range cp.channels {
		c.views[i].rec, c.views[i].c = &c.rec, c
		c.states[i] = &celenv.ChannelState{Recurrence: &c.views[i], Values: &c.views[i]}
		chans[ch.id] = c.states[i]
	}
	c.act = conditionActivation{corr: c, channels: chans, matched: make([]bool, len(cp.channels))}
	return c
}

// observe records an event that matched the channels at indexes matched; the shard's view
// shows the event.
func (c *correlator) observe(s *shard, ev *event.Event, matched []int) {
	if !c.plan.mixedGroups {
		c.observeGroup(s, ev, c.plan.groupSlots, matched)
		return
	}
	// Each channel reads the group from its own fields: the matched channels that name the
	// same group update it together, in channel order.
	keys := make([]string, len(matched))
	for k, i := range matched {
		keys[k] = string(appendGroupKey(nil, s.view, c.plan.channels[i].groupSlots))
	}
	done := make([]bool, len(matched))
	for k := range matched {
		if done[k] {
			continue
		}
		var same []int
		for j := k; j < len(matched); j++ {
			if !done[j] && keys[j] == keys[k] {
				same, done[j] = append(same, matched[j]), true
			}
		}
		c.observeGroup(s, ev, c.plan.channels[matched[k]].groupSlots, same)
	}
}

// observeGroup records the matches of the channels at indexes matched in the group the
// event's fields at slots name.
func (c *correlator) observeGroup(s *shard, ev *event.Event, slots []int, matched []int) {
	g := c.group(s.view, slots, s.clock)
	if !c.holding {
		c.holding = true
		s.holding = append(s.holding, c)
	}
	c.update(s, g, ev, matched)
	s.stateBytes += g.refresh()
}

// update is observe for the event's group g.
func (c *correlator) update(s *shard, g *group, ev *event.Event, matched []int) {
	if g.dirty && ev.Time.After(g.newest) {
		c.settle(s, g) // an event older than the watermark (no merge) completed the instant
	}
	if !g.spent.IsZero() && !ev.Time.After(g.spent) {
		return // evidence of an alert already emitted
	}
	if g.alert != nil && ev.Time.After(g.alert.close) {
		// The watermark lags this group (an older file after a newer one): close it here.
		s.pending.remove(g.alert)
		s.emitAlert(g.alert)
	}
	if !g.newest.IsZero() && ev.Time.Before(g.newest.Add(-c.plan.window)) {
		return // older than the group's window: it would fall out at once
	}
	if ev.Time.After(g.newest) {
		g.newest = ev.Time
	}
	g.active = s.clock
	c.byActivity.moveToBack(g)
	if g.alert != nil {
		g.alert.add(ev, matched, s.cfg.maxContributors, func(i int) *Evidence { return s.evidence(c.plan, i, ev) })
		return
	}
	for _, i := range matched {
		g.windows[i].insert(match{at: ev.Time, series: c.seriesKey(c.plan.channels[i], s.view), evidence: s.evidence(c.plan, i, ev)})
	}
	g.evict(g.newest.Add(-c.plan.window))
	s.markDirty(c, g)
}

// settle evaluates the condition of a group whose newest instant is complete (a later
// event has come), and opens an alert at that instant when it holds. Evaluating once per
// instant, not after each of its matches, makes the result independent of the order of
// matches that share a time, which a condition not monotone in the window (an upper bound,
// an average) would otherwise see.
func (c *correlator) settle(s *shard, g *group) {
	g.dirty = false
	if g.alert == nil && c.conditionHolds(s, g) {
		s.pending.push(c.open(g, g.newest, s.cfg.maxContributors))
	}
}

// group returns the group of the event that v shows, whose values are at slots, creating
// it as active at clock.
func (c *correlator) group(v *event.FieldView, slots []int, clock int64) *group {
	key := appendGroupKey(c.keyBuf[:0], v, slots)
	c.keyBuf = key
	if cap(key) > maxScratch { // formatted a large Go value: let go of the room
		c.keyBuf = nil
	}
	if g, ok := c.groups[string(key)]; ok {
		return g
	}
	g := &group{key: string(key), values: make([]any, len(slots)), active: clock}
	g.fixed = groupSize + int64(len(g.key)) + int64(len(c.plan.channels))*windowSize
	for i, slot := range slots {
		g.values[i] = displayValue(v.Slot(slot))
		g.fixed += valueSize(g.values[i])
	}
	g.windows = make([]window, len(c.plan.channels))
	c.byActivity.pushBack(g)
	c.groups[g.key] = g
	c.peak = max(c.peak, len(c.groups))
	return g
}

// appendGroupKey writes the values of the fields at slots, each followed by a NUL.
func appendGroupKey(b []byte, v *event.FieldView, slots []int) []byte {
	for _, slot := range slots {
		b = appendFieldKey(b, v, v.Slot(slot))
		b = append(b, 0)
	}
	return b
}

// seriesKey joins the channel's series_by values of the event ("" without series_by).
func (c *correlator) seriesKey(ch *compiledChannel, v *event.FieldView) string {
	if len(ch.series) == 0 {
		return ""
	}
	c.seriesBf = appendGroupKey(c.seriesBf[:0], v, ch.series)
	key := string(c.seriesBf)
	if cap(c.seriesBf) > maxScratch {
		c.seriesBf = nil
	}
	return key
}

// maxKeyValue is the longest string (or raw JSON of an object or array) a group or series
// key holds as it is; a longer value is keyed by its digest, and shown by its prefix.
const maxKeyValue = 256

// maxScratch is the most room a key buffer keeps between events.
const maxScratch = 64 << 10

// appendFieldKey is appendKeyValue of a field without decoding strings and numbers. A value
// longer than maxKeyValue is written as "#" and the hex SHA-256 of its text, so that a key
// never holds it: no other value's key starts with "#".
func appendFieldKey(b []byte, v *event.FieldView, fv *event.Field) []byte {
	switch fv.Kind() {
	case event.KindMissing, event.KindNull:
		return append(b, "null"...)
	case event.KindString:
		s, _ := fv.Str()
		if len(s) > maxKeyValue {
			return appendDigest(append(b, '#'), s)
		}
		return strconv.AppendQuote(b, s)
	case event.KindBool:
		return append(b, fv.Raw()...)
	case event.KindNumber:
		switch n := jsonl.Number(fv.Raw()).(type) {
		case int64:
			return strconv.AppendInt(b, n, 10)
		case float64:
			return strconv.AppendFloat(b, n, 'g', -1, 64)
		}
	}
	if raw := fv.Raw(); len(raw) > maxKeyValue { // an object or array: by its JSON text
		return appendDigest(append(b, "#json:"...), raw)
	}
	return appendKeyValue(b, fv.Native())
}

// appendDigest appends the hex SHA-256 of s.
func appendDigest(b []byte, s string) []byte {
	sum := sha256.Sum256(unsafe.Slice(unsafe.StringData(s), len(s)))
	return hex.AppendEncode(b, sum[:])
}

// displayValue is the value of a group_by field as a group keeps it for its alerts: the
// value itself (nil for a missing field), or, for a string (or the JSON text of an object
// or array) longer than maxKeyValue, its first maxKeyValue bytes with a marker that gives
// its length and digest: "aaaa… (15728640 bytes, sha256:1f2e…)". A group never keeps a
// view into the event's line, which would keep the line.
func displayValue(fv *event.Field) any {
	text, _ := fv.Str()
	switch fv.Kind() {
	case event.KindComposite:
		text = fv.Raw()
	case event.KindNative:
		switch n := fv.Native().(type) {
		case string:
			text = n
		case map[string]any, []any:
			text = fmt.Sprint(n)
		}
	}
	if len(text) <= maxKeyValue {
		val := fv.Native()
		if s, ok := val.(string); ok {
			val = strings.Clone(s)
		}
		return val
	}
	cut := maxKeyValue
	for cut > 0 && !utf8.RuneStart(text[cut]) { // not inside a rune
		cut--
	}
	prefix := text[:cut]
	sum := appendDigest(nil, text)
	return fmt.Sprintf("%s… (%d bytes, sha256:%s…)", prefix, len(text), sum[:16])
}

// valueSize is the approximate memory of a group value.
func valueSize(v any) int64 {
	if s, ok := v.(string); ok {
		return 16 + int64(len(s))
	}
	return 16 + maxKeyValue // a small number, bool, or a short object or array decoded
}

// groupSize is the approximate memory of a group besides its key, values and windows: the
// struct, its map entry and its values slice.
const groupSize = int64(unsafe.Sizeof(group{})) + 64

// size is the approximate memory of the group: its key and values, its windows and its
// open alert.
func (g *group) size() int64 {
	n := g.fixed
	for i := range g.windows {
		n += g.windows[i].size()
	}
	if g.alert != nil {
		n += g.alert.size()
	}
	if g.valueIdx != nil {
		n += g.valueIdx.bytes
	}
	return n
}

// refresh counts the group's size again and returns how much it grew.
func (g *group) refresh() int64 {
	n := g.size()
	d := n - g.bytes
	g.bytes = n
	return d
}

// appendKeyValue writes a group or series value unambiguously: strings quoted, other
// scalars as literals, null for a missing field.
func appendKeyValue(b []byte, v any) []byte {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		if len(t) > maxKeyValue {
			return appendDigest(append(b, '#'), t)
		}
		return strconv.AppendQuote(b, t)
	case int64:
		return strconv.AppendInt(b, t, 10)
	case float64:
		return strconv.AppendFloat(b, t, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, t)
	}
	start := len(b)
	b = fmt.Appendf(b, "%T:%v", v, v)
	if len(b)-start > maxKeyValue { // a large object or array given as a Go value
		sum := appendDigest(nil, string(b[start:]))
		b = append(append(b[:start], "#v:"...), sum...)
	}
	return b
}

// evict drops matches before cutoff.
func (g *group) evict(cutoff time.Time) {
	for i := range g.windows {
		g.windows[i].dropBefore(cutoff)
	}
}

// spend drops the matches up to close, the evidence of an emitted alert.
func (g *group) spend(close time.Time) {
	for i := range g.windows {
		g.windows[i].dropThrough(close)
	}
}

// conditionHolds evaluates the plan's condition over the group's window.
func (c *correlator) conditionHolds(s *shard, g *group) bool {
	for i := range g.windows {
		c.act.matched[i] = g.windows[i].matches.len() > 0
	}
	c.act.window = g
	c.act.built = false
	return s.evalBool(c.plan.condition, &c.act, c.plan, -1)
}

// conditionActivation binds c1..cN, `channels` and `params`; `channels` is built only when
// the condition reads it.
type conditionActivation struct {
	corr     *correlator
	window   *group
	matched  []bool
	channels map[string]any
	built    bool
}

func (a *conditionActivation) ResolveName(name string) (any, bool) {
	switch name {
	case "params":
		return a.corr.plan.paramsVal, true
	case "channels":
		if !a.built {
			a.corr.fillStates(a.window)
			a.built = true
		}
		return a.channels, true
	}
	if i, ok := a.corr.plan.channelIdx[name]; ok {
		return a.matched[i], true
	}
	return nil, false
}

func (a *conditionActivation) Parent() interpreter.Activation { return nil }

// fillStates points the scratch channel states at the group's windows.
func (c *correlator) fillStates(g *group) {
	for i, st := range c.states {
		g.windows[i].fill(st)
		c.views[i].w, c.views[i].g = &g.windows[i], g
	}
}

// drop forgets a group.
func (c *correlator) drop(g *group) {
	g.dirty = false
	c.byActivity.remove(g)
	delete(c.groups, g.key)
}

// shrink rebuilds the groups map once most of its groups are gone: a Go map keeps its
// buckets after deletes, so the memory of a burst of keys would otherwise stay.
func (c *correlator) shrink() {
	if c.peak < 1024 || len(c.groups) > c.peak/4 {
		return
	}
	groups := make(map[string]*group, len(c.groups))
	for k, g := range c.groups {
		groups[k] = g
	}
	c.groups, c.peak = groups, len(groups)
}

// open starts an alert, opened at the event time at, with the group's window as its
// evidence; the window is then spent.
func (c *correlator) open(g *group, at time.Time, maxRefs int) *openAlert {
	n := len(c.plan.channels)
	a := &openAlert{
		plan:     c.plan,
		group:    g,
		opened:   at,
		close:    g.newest.Add(c.plan.window),
		counts:   make([]int64, n),
		evidence: make([][]*Evidence, n),
	}
	for i := range g.windows {
		g.windows[i].matches.each(func(m match) { a.record(i, m.at, m.evidence, maxRefs) })
		g.windows[i].reset()
	}
	g.valueIdx = nil
	g.alert = a
	return a
}
