// Package plan defines the stixcel plan artifact: the data the compiler writes and the runtime
// reads. It holds no STIX parsing and no evaluation, only types with stable JSON encodings, so
// that `stixcel compile` output can be printed, diffed in review and reloaded by `stixcel run`.
//
// It also owns the parameter types (Type, parsed once when a plan is decoded or built) and
// the conversion of parameter values to them, which the compiler, lint, the tester and the
// runtime share.
package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Schema is the value of Set.Schema for this version of the artifact. v2 added what alerts
// cite without the bundle: detection_strategy_name, each technique's tactics and each
// channel's evidence fields; a v1 artifact lacks them and is refused (compile it again). v3
// added each channel's parsed expressions and cost verdicts (Channel.Parsed, Set.CELEnv),
// so that loading skips parsing and cost estimation, most of the engine's start-up; a v2 artifact is read as it is, its
// expressions compiled from their text.
const Schema = "stixcel.plan/v3"

// readableSchemas are the earlier artifact versions still read: all they lack is optional.
var readableSchemas = map[string]bool{"stixcel.plan/v2": true}

// oldSchemas are earlier artifact versions, refused with a message saying what to do.
var oldSchemas = map[string]bool{"stixcel.plan/v1": true}

// Readable reports whether this stixcel reads plans of schema: Schema, or an earlier version
// whose plans differ only by what is optional.
func Readable(schema string) bool { return schema == Schema || readableSchemas[schema] }

// checkSchema accepts Schema and readableSchemas; an older one is named as such, with the
// remedy.
func checkSchema(schema string) error {
	if Readable(schema) {
		return nil
	}
	if oldSchemas[schema] {
		return fmt.Errorf("plans: schema %q is from an older stixcel (its plans lack the strategy names, tactics and evidence fields alerts cite), want %q: compile the plans again with `stixcel compile`", schema, Schema)
	}
	return fmt.Errorf("plans: schema %q, want %q", schema, Schema)
}

// Kind says what a plan can do at run time.
type Kind string

const (
	// KindDetection plans have pack-bound logic and raise alerts.
	KindDetection Kind = "detection"
	// KindSelector plans have only derived selectors: hunting and coverage, never alerts.
	KindSelector Kind = "selector"
	// KindInert plans have nothing to match on.
	KindInert Kind = "inert"
)

// Origin says where a channel's logic came from.
type Origin string

const (
	OriginDerived Origin = "derived" // selector derived from the channel text only
	OriginBound   Origin = "bound"   // a pack binding supplies the predicate
	OriginNone    Origin = "none"    // nothing to match on; Reason says why
	// OriginSigma marks a plan compiled from a Sigma rule (Plan.Origin; "" is an ATT&CK
	// analytic) and its channels, whose predicates the rule supplies.
	OriginSigma Origin = "sigma"
)

// Levels are the severity levels of plans and alerts, lowest first: a Sigma rule's `level`,
// or a binding's.
var Levels = []string{"informational", "low", "medium", "high", "critical"}

// LevelRank is the place of level in Levels, or -1 for "" and any other text.
func LevelRank(level string) int {
	for i, l := range Levels {
		if l == level {
			return i
		}
	}
	return -1
}

// HasLogic reports whether a channel's predicate is written logic (a pack binding's or a
// Sigma rule's), not a derived selector alone.
func (ch *Channel) HasLogic() bool { return ch.Origin == OriginBound || ch.Origin == OriginSigma }

// Selects says what a channel's selector tests, as the compiler reads it from the selector's
// CEL (see compiler.Classify).
type Selects string

const (
	// SelectsEventType selectors test only which kind of event a line is (its log source and
	// event-type fields: `has(event.EventCode) && event.EventCode == 10`). They say that the
	// telemetry exists: they feed coverage and print no hunt records.
	SelectsEventType Selects = "event_type"
	// SelectsContent selectors test more than that (`event.CmdletName in ["Get-User"]`):
	// their matches are worth reading as hunt records.
	SelectsContent Selects = "content"
)

// ParamSource says where a parameter's value came from.
type ParamSource string

const (
	SourceInferred ParamSource = "inferred" // from the mutable element's name and description
	SourcePack     ParamSource = "pack"     // a binding's params default
	SourceProfile  ParamSource = "profile"  // a parameter profile (--params)
)

// Set is the whole artifact: {"schema": "stixcel.plan/v1", "plans": [...]}.
type Set struct {
	Schema string  `json:"schema"`
	Plans  []*Plan `json:"plans"`
	// CELEnv is the fingerprint of the CEL parser and declarations the channels' parsed forms
	// were made with (celenv.Fingerprint); empty when no channel has one.
	CELEnv string `json:"cel_env,omitempty"`
}

// Plan is one compiled analytic.
type Plan struct {
	ID                string      `json:"id"`
	StixID            string      `json:"stix_id"`
	Name              string      `json:"name"`
	Version           string      `json:"version"`
	Modified          string      `json:"modified"`
	Domains           []string    `json:"domains"`
	Platforms         []string    `json:"platforms"`
	Techniques        []Technique `json:"techniques"`
	DetectionStrategy string      `json:"detection_strategy"`
	// DetectionStrategyName is the strategy's name ("" when the bundles lack the strategy).
	DetectionStrategyName string      `json:"detection_strategy_name"`
	Kind                  Kind        `json:"kind"`
	Channels              []*Channel  `json:"channels"`
	Params                []*Param    `json:"params"`
	Correlation           Correlation `json:"correlation"`

	// Origin is "" for an ATT&CK analytic and OriginSigma for a Sigma rule.
	Origin Origin `json:"origin,omitempty"`
	// Rule is the Sigma rule a Sigma plan was compiled from; nil for analytics.
	Rule *Rule `json:"rule,omitempty"`
	// Level is the severity of the plan's alerts: a Sigma rule's level, or a binding's
	// optional `level` (one of Levels); "" when none was given.
	Level string `json:"level,omitempty"`
	// References are links a reader of an alert may follow (a rule's or a binding's).
	References []string `json:"references,omitempty"`
	// Analytics are, for a Sigma plan, the ATT&CK analytics of its techniques whose channels
	// read one of its log sources and data components, with their detection strategies.
	Analytics []AnalyticRef `json:"analytics,omitempty"`

	// Hunt marks a selector plan as a hunt source: some channel's selector selects content
	// (SelectsContent). `run --hunt` evaluates only these selector plans, and prints records
	// only for their content channels.
	Hunt bool `json:"hunt,omitempty"`
}

// Rule is what a Sigma plan keeps of its rule: what an alert names and a reader looks up.
type Rule struct {
	ID             string   `json:"id"`
	Name           string   `json:"name,omitempty"` // the rule's `name`, which correlations may reference
	Title          string   `json:"title"`
	Level          string   `json:"level,omitempty"`
	Status         string   `json:"status,omitempty"`
	Path           string   `json:"path"` // the rule file, as the user named it
	Author         string   `json:"author,omitempty"`
	References     []string `json:"references,omitempty"`
	FalsePositives []string `json:"falsepositives,omitempty"`
	// Type is the kind of a correlation rule (event_count, temporal, ...); "" for a
	// detection rule.
	Type string `json:"type,omitempty"`
}

// AnalyticRef names an ATT&CK analytic and its detection strategy.
type AnalyticRef struct {
	ID                    string `json:"id"`
	Name                  string `json:"name"`
	DetectionStrategy     string `json:"detection_strategy,omitempty"`
	DetectionStrategyName string `json:"detection_strategy_name,omitempty"`
}

// Technique is an ATT&CK technique the analytic's detection strategy detects.
type Technique struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Tactics are the technique's ATT&CK tactics, the phase names of its kill_chain_phases
	// ("credential-access"), as ATT&CK Navigator names them; empty when not loaded.
	Tactics []string `json:"tactics"`
}

// DataComponent is the ATT&CK data component (DCxxxx) of a log source reference.
type DataComponent struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	StixID string `json:"stix_id"`
}

// Route is the part of a selector that an index can decide without evaluating CEL:
// the event matches when its Field equals one of Values (int64 or string).
type Route struct {
	Field  string `json:"field"`
	Values []any  `json:"values"`
}

// Channel is one log source reference of the analytic (c1..cN, in reference order).
type Channel struct {
	ID            string        `json:"id"`
	LogSource     string        `json:"log_source"`
	DataComponent DataComponent `json:"data_component"`
	Channel       string        `json:"channel"`
	// Selector is CEL over `event` derived from Channel; empty when Reason says why not.
	Selector string `json:"selector"`
	// Route mirrors Selector when the selector is a plain field-in-values test.
	Route *Route `json:"route,omitempty"`
	// Selects says what Selector tests; empty when there is no selector.
	Selects Selects `json:"selects,omitempty"`
	// Predicate is the bound CEL over `event` and `params`; it refines Selector.
	Predicate string `json:"predicate"`
	// SeriesBy lists event fields that split this channel's matches into series
	// (e.g. app, host, port) for recurrence functions in the condition.
	SeriesBy []string `json:"series_by,omitempty"`
	// GroupBy, when set, are the event fields that hold this channel's values of the
	// correlation's group_by, one for each of its names in order: a Sigma correlation's
	// aliases, or a log source that names a field otherwise. Empty: the fields of those names.
	GroupBy []string `json:"group_by,omitempty"`
	// Fields are the event fields the selector, the predicate and SeriesBy read (event.X,
	// event["X"], has(event.X)), in the order they first appear: what an alert shows of each
	// contributing event.
	Fields []string `json:"fields"`
	Origin Origin   `json:"origin"`
	Reason string   `json:"reason"`
	// Parsed holds the selector and predicate as the compiler parsed them: absent in
	// artifacts written without them and for channels without CEL.
	Parsed *ParsedChannel `json:"parsed,omitempty"`
}

// ParsedChannel is a channel's selector and predicate in parsed form, each absent when the
// channel has no such expression (or it does not compile, or reads parameters).
type ParsedChannel struct {
	Selector  *ParsedExpr `json:"selector,omitempty"`
	Predicate *ParsedExpr `json:"predicate,omitempty"`
}

// ParsedExpr is one expression in parsed form, with its cost verdict: what loading it needs
// instead of parsing its text and estimating its cost (the runtime still type-checks it).
// It is used only when Digest is that of the expression's environment and text, and
// Set.CELEnv that of the reading stixcel: an edited text is compiled from its text.
// Expressions that read the plan's parameters have none.
type ParsedExpr struct {
	// Digest keys the form to its environment (the plan's parameter types) and text.
	Digest string `json:"digest"`
	// Expr is cel-spec's ParsedExpr, in protocol buffers' binary form (base64 in JSON),
	// without source positions.
	Expr []byte `json:"expr"`
	// MaxString is the longest event string at which the expression's estimated cost stays
	// within the limit: a power of four times 16 KiB, up to the longest line read.
	MaxString int `json:"max_string"`
}

// Param is a typed parameter made from a mutable element.
type Param struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Type is parsed from a CEL type expression: int, double, bool, string, duration, regex,
	// list(T), map(K, V).
	Type   Type        `json:"type"`
	Value  any         `json:"value"`
	Source ParamSource `json:"source"`
}

// Canonical checks v against the parameter's type and returns it in plan JSON form (see
// Type.Canonical); errors name the parameter and its type: `param TimeWindow (duration): ...`.
func (prm *Param) Canonical(v any) (any, error) {
	c, err := prm.Type.Canonical(v)
	if err != nil {
		return nil, prm.wrap(err)
	}
	return c, nil
}

// Values converts the parameter's value once for a run: its plan JSON form, and the Go value
// bound in CEL activations (see Type.Native).
func (prm *Param) Values() (canon, native any, err error) {
	if canon, err = prm.Canonical(prm.Value); err != nil {
		return nil, nil, err
	}
	if native, err = prm.Type.Native(canon); err != nil {
		return nil, nil, prm.wrap(err)
	}
	return canon, native, nil
}

func (prm *Param) wrap(err error) error {
	return fmt.Errorf("param %s (%s): %w", prm.Name, prm.Type, err)
}

// Correlation says how channel matches combine into alerts.
//
// The window is held once: WindowParam names the duration parameter it follows, or
// WindowLiteral holds it as a Go duration string ("10m0s" is written "10m"). Plan.Window
// resolves it; the JSON "window" is always the resolved window, next to "window_param".
type Correlation struct {
	// GroupBy names the values that key a group (and that alerts show); each channel reads
	// them from the event fields of these names, or from its own Channel.GroupBy.
	GroupBy []string `json:"group_by"`
	// WindowLiteral is a window given as a duration. It is empty when the window follows
	// WindowParam; when both are set (a plan file whose window is not its parameter's value),
	// the literal wins, as it always has.
	WindowLiteral string `json:"window"`
	// WindowParam names the parameter the window follows, if any.
	WindowParam string `json:"window_param,omitempty"`
	// Condition is CEL over c1..cN (bool) and channels.cN (state); empty means
	// "alert once per matching event".
	Condition string `json:"condition"`
}

// Write encodes the set as indented, deterministic JSON.
func (s *Set) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(s)
}

// Read decodes a plan set and checks its schema.
func Read(r io.Reader) (*Set, error) {
	var s Set
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode plans: %w", err)
	}
	if err := checkSchema(s.Schema); err != nil {
		return nil, err
	}
	for _, p := range s.Plans {
		if p != nil {
			p.foldWindow()
		}
	}
	return &s, nil
}

// Param returns the parameter with the given name, or nil.
func (p *Plan) Param(name string) *Param {
	for _, prm := range p.Params {
		if prm != nil && prm.Name == name {
			return prm
		}
	}
	return nil
}

// SetParam sets the parameter to v checked against its type, as a parameter profile does:
// the compiler's profiles and the tester's per-test params. The window follows its parameter,
// which therefore needs a value.
func (p *Plan) SetParam(name string, v any) error {
	prm := p.Param(name)
	if prm == nil {
		return fmt.Errorf("analytic %s has no parameter %s", p.ID, name)
	}
	c, err := prm.Canonical(v)
	if err != nil {
		return err
	}
	if w, _ := c.(string); p.Correlation.WindowParam == name && w == "" {
		return fmt.Errorf("param %s is the window and needs a duration", name)
	}
	prm.Value, prm.Source = c, SourceProfile
	return nil
}

// Window is the correlation window as the plan file writes it: the literal window, else the
// value of the window parameter ("" when it has none).
func (p *Plan) Window() string {
	c := p.Correlation
	if c.WindowLiteral != "" || c.WindowParam == "" {
		return c.WindowLiteral
	}
	if prm := p.Param(c.WindowParam); prm != nil {
		if s, ok := prm.Value.(string); ok {
			return s
		}
	}
	return ""
}

// WindowDuration resolves the correlation window for a run: the literal window, else the
// window parameter's value. It must be positive.
func (p *Plan) WindowDuration() (time.Duration, error) {
	text := p.Correlation.WindowLiteral
	if text == "" && p.Correlation.WindowParam != "" {
		d, err := p.windowParam()
		if err != nil {
			return 0, err
		}
		text = FormatDuration(d)
	}
	if text == "" {
		return 0, errors.New("correlation: a condition needs a window")
	}
	d, err := ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("correlation window: %w", err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("correlation window %q: must be positive", text)
	}
	return d, nil
}

// windowParam is the value of the window parameter; no value is a zero window.
func (p *Plan) windowParam() (time.Duration, error) {
	name := p.Correlation.WindowParam
	prm := p.Param(name)
	if prm == nil {
		return 0, fmt.Errorf("correlation window_param %s: no such param", name)
	}
	if prm.Type.Kind() != TypeDuration {
		return 0, fmt.Errorf("correlation window_param %s: type %s, want duration", name, prm.Type)
	}
	v, err := prm.Type.Native(prm.Value)
	if err != nil {
		return 0, fmt.Errorf("correlation window_param %s: %w", name, err)
	}
	return v.(time.Duration), nil
}

// foldWindow drops a decoded window that only repeats its duration parameter's value, in
// canonical form (so that resolving it from the parameter gives the same window and errors),
// so that the window follows the parameter when the parameter is set.
func (p *Plan) foldWindow() {
	c := &p.Correlation
	if c.WindowParam == "" || c.WindowLiteral == "" {
		return
	}
	prm := p.Param(c.WindowParam)
	if prm == nil || prm.Type.Kind() != TypeDuration || prm.Value != any(c.WindowLiteral) {
		return
	}
	if canon, err := prm.Type.Canonical(c.WindowLiteral); err == nil && canon == any(c.WindowLiteral) {
		c.WindowLiteral = ""
	}
}

// MarshalJSON writes the plan with its resolved window, so that "window" is in the JSON
// whether the window is a literal or follows its parameter.
func (p Plan) MarshalJSON() ([]byte, error) {
	type bare Plan // the same fields without this method
	b := bare(p)
	b.Correlation.WindowLiteral = p.Window()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the caller's encoder escapes, or not
	if err := enc.Encode(b); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Channel returns the channel with the given id (c1..cN), or nil.
func (p *Plan) Channel(id string) *Channel {
	for _, c := range p.Channels {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// Runs says whether a run evaluates a plan of kind k that is (or not) a hunt source:
// detection plans always, selector plans only when hunting and only hunt sources (Plan.Hunt),
// inert plans never. Plans of an unknown kind run, so that the runtime reports them.
func Runs(k Kind, huntSource, hunting bool) bool {
	switch k {
	case KindInert:
		return false
	case KindSelector:
		return hunting && huntSource
	}
	return true
}

// ReadRunnable decodes only the plans keep selects by kind and hunt flag (the runtime skips
// inert plans, and selector plans unless hunting for them: see Runs): the others are stepped
// over without being decoded, which makes loading the whole-ATT&CK artifact (4.6 MB) several
// times faster.
func ReadRunnable(r io.Reader, keep func(k Kind, huntSource bool) bool) (*Set, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read plans: %w", err)
	}
	return ParseRunnable(data, keep)
}

// ParseRunnable is ReadRunnable of an artifact in memory. The caller bounds its size and
// nesting (internal/bounded): gjson recurses per level of nesting. data must not change
// while it runs. keep may be called more than once per plan: with its hunt flag, and with
// both values to learn whether the flag matters (when it does not, the plan's keys after
// "kind" are not scanned). The artifact is checked on another goroutine while the plans are
// found, and the kept plans are decoded on every core; the set, and the first error in
// plan order, are those of a sequential read.
func ParseRunnable(data []byte, keep func(k Kind, huntSource bool) bool) (*Set, error) {
	valid := make(chan bool, 1)
	go func() { valid <- gjson.ValidBytes(data) }()
	set, err := parseRunnable(data, keep)
	if !<-valid {
		return Read(bytes.NewReader(data)) // encoding/json words the syntax error
	}
	return set, err
}

func parseRunnable(data []byte, keep func(k Kind, huntSource bool) bool) (*Set, error) {
	// No copy of the artifact: gjson only reads it, and what is kept is decoded into new
	// values (the id in an error is cloned).
	doc := gjson.Parse(unsafe.String(unsafe.SliceData(data), len(data)))
	if err := checkSchema(doc.Get("schema").String()); err != nil {
		return nil, err
	}
	var raws []string
	doc.Get("plans").ForEach(func(_, raw gjson.Result) bool {
		if runnable(raw, keep) {
			raws = append(raws, raw.Raw)
		}
		return true
	})
	plans := make([]*Plan, len(raws))
	errs := make([]error, len(raws))
	var wg sync.WaitGroup
	var next atomic.Int64
	for range min(goruntime.GOMAXPROCS(0), len(raws)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(raws); i = int(next.Add(1) - 1) {
				p := &Plan{}
				raw := unsafe.Slice(unsafe.StringData(raws[i]), len(raws[i])) // only read
				if errs[i] = json.Unmarshal(raw, p); errs[i] == nil {
					p.foldWindow()
					plans[i] = p
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("decode plans: plan %s: %w", strings.Clone(gjson.Get(raws[i], "id").String()), err)
		}
	}
	return &Set{Schema: Schema, Plans: append([]*Plan{}, plans...), CELEnv: strings.Clone(doc.Get("cel_env").String())}, nil
}

// runnable reports keep of a plan's kind and hunt flag (their first occurrences, as gjson's
// Get finds them), in one pass over its keys that stops once keep's answer is known.
func runnable(raw gjson.Result, keep func(k Kind, huntSource bool) bool) bool {
	var kind, hunt gjson.Result
	var haveKind, haveHunt, decided bool
	raw.ForEach(func(key, v gjson.Result) bool {
		switch {
		case !haveKind && key.String() == "kind":
			kind, haveKind = v, true
		case !haveHunt && key.String() == "hunt":
			hunt, haveHunt = v, true
		default:
			return true
		}
		k := Kind(kind.String())
		decided = haveKind && (haveHunt || keep(k, false) == keep(k, true))
		return !decided
	})
	return keep(Kind(kind.String()), hunt.Bool())
}
