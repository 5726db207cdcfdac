package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/cel-go/cel"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/sigma"
	sigmacel "github.com/stixcel/stixcel/compiler/sigma/cel"
	"github.com/stixcel/stixcel/compiler/sigma/correlation"
	"github.com/stixcel/stixcel/compiler/sigma/filter"
	"github.com/stixcel/stixcel/compiler/sigma/mapping"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/yamlpos"
	"github.com/stixcel/stixcel/plan"
)

// Diagnostic codes of Sigma rules, beside the YAML and value codes compiler/sigma gives.
const (
	// CodeUncovered: no mapping entry covers the rule's logsource (a warning; the rule is
	// not planned).
	CodeUncovered = "stixcel_sigma_uncovered"
	// CodeUnsupported: a construct the compiler does not compile (an error; the rule, or
	// that target of it, is not planned).
	CodeUnsupported = "stixcel_sigma_unsupported"
	// CodeNeverMatches: on some target the rule tests fields those events lack, so that
	// target is left out (a warning; the rule is refused when no target is left).
	CodeNeverMatches = "stixcel_sigma_never_matches"
	// CodeUnknownTechnique: an `attack.t…` tag no loaded bundle's analytics detect (a
	// warning; the id is kept as written).
	CodeUnknownTechnique = "stixcel_sigma_unknown_technique"
	// CodeDuplicateRule: two rules share an id (an error; the later is not planned).
	CodeDuplicateRule = "stixcel_sigma_duplicate_rule"
)

// DefaultSuppress is --sigma-suppress's default: matches of one rule on one host within an
// hour are one alert, with the count and the first events as evidence.
const DefaultSuppress = time.Hour

// Options say how rules become plans.
type Options struct {
	// Mapping maps log sources; nil is mapping.Builtin().
	Mapping *mapping.Mapping
	// Suppress groups a rule's matches per host within this duration into one alert; 0 is
	// one alert per matching event.
	Suppress time.Duration
	// MinLevel leaves out rules below this level ("" keeps every rule).
	MinLevel string
	// Attack are the compiled ATT&CK plans: the names and tactics of techniques, and the
	// analytics a rule is linked to.
	Attack []*plan.Plan
	// KnownTechniquesOnly says whether an `attack.t…` tag the plans do not know is worth a
	// warning: false when only the embedded seed bundle is loaded, which knows one technique.
	WarnUnknownTechniques bool
}

// Stats count what became of the rules read.
type Stats struct {
	Files      int // rule files read
	Rules      int // rule documents decoded or refused
	Planned    int // plans made (detection and correlation rules)
	Refused    int // rules with an error: not planned
	Uncovered  int // rules whose logsource no mapping covers: not planned
	BelowLevel int // rules left out by MinLevel
	Filters    int // filter rules read
	Consumed   int // detection rules a correlation reads, which do not alert alone (no `generate`)
}

// Result is what Compile made.
type Result struct {
	Plans       []*plan.Plan
	Diagnostics diag.Diagnostics
	Stats       Stats
}

// Compile plans the rules of files. Plans are in file order, then document order.
func Compile(files []File, opts Options) *Result {
	if opts.Mapping == nil {
		opts.Mapping = mapping.Builtin()
	}
	res := &Result{Stats: Stats{Files: len(files)}}
	rules, diags, refused := decodeAll(files)
	res.Diagnostics, res.Stats.Refused, res.Stats.Rules = diags, refused, refused+len(rules)
	env, err := celenv.ChannelEnv(nil)
	if err != nil {
		res.Diagnostics.Errorf(diag.Pos{}, diag.CodeInternal, "sigma: channel environment: %v", err)
		return res
	}
	p := &planning{opts: opts, env: env, res: res, links: newLinker(opts.Attack), ids: map[string]string{}, bases: map[string]*correlation.Base{},
		cel: newCELMemo(env)}
	p.plan(rules)
	res.Diagnostics = dedupe(res.Diagnostics)
	return res
}

// dedupe drops repeats of a diagnostic: a construct refused on each of a rule's targets is
// said once.
func dedupe(ds diag.Diagnostics) diag.Diagnostics {
	seen := map[diag.Diagnostic]bool{}
	out := ds[:0]
	for _, d := range ds {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// planning is one Compile call's state.
type planning struct {
	opts  Options
	env   *cel.Env
	res   *Result
	links *linker
	cel   *celMemo                     // CEL's verdicts and fields, by text (ahead.go)
	ids   map[string]string            // plan id: the file that has it
	bases map[string]*correlation.Base // detection plans by rule id and by name, for correlations
}

// entry is a rule on its way to a plan, kept in file order.
type entry struct {
	d    decoded
	plan *plan.Plan
	// consumed says a correlation without `generate` reads the rule: it does not alert alone.
	consumed, generated bool
}

// plan plans every rule: filters first (they change the rules they name), then detection
// rules, then correlation rules over the detection plans; the plans are kept in file order,
// less the base rules a correlation consumes and the rules below the level.
func (p *planning) plan(rules []decoded) {
	var filters []*filter.Filter
	var detections []*sigma.Rule
	for _, d := range rules {
		switch d.rule.Kind {
		case sigma.KindFilter:
			p.res.Stats.Filters++
			f, ds := filter.Decode(d.rule)
			p.res.Diagnostics = append(p.res.Diagnostics, ds...)
			if ds.HasErrors() || f == nil {
				p.res.Stats.Refused++
				continue
			}
			filters = append(filters, f)
		case sigma.KindRule:
			detections = append(detections, d.rule)
		}
	}
	p.res.Diagnostics = append(p.res.Diagnostics, filter.Check(filters, detections)...)
	p.ahead(detectionRules(rules), filters)
	entries := make([]*entry, 0, len(rules))
	for _, d := range rules {
		if d.rule.Kind == sigma.KindRule {
			e := &entry{d: d}
			e.plan = p.rule(d, filters)
			entries = append(entries, e)
		}
	}
	for _, d := range rules {
		if d.rule.Kind == sigma.KindCorrelation {
			e := &entry{d: d}
			e.plan = p.correlation(d, entries)
			entries = append(entries, e)
		}
	}
	p.keep(entries)
}

// detectionRules are the detection rules of rules, in order.
func detectionRules(rules []decoded) []decoded {
	var out []decoded
	for _, d := range rules {
		if d.rule.Kind == sigma.KindRule {
			out = append(out, d)
		}
	}
	return out
}

// keep adds the plans that alert: not a base rule only consumed by correlations, not below
// the level, not a second plan of one id.
func (p *planning) keep(entries []*entry) {
	for _, e := range entries {
		r := e.d.rule
		switch {
		case e.plan == nil:
			continue
		case e.consumed && !e.generated:
			p.res.Stats.Consumed++
			continue
		case p.opts.MinLevel != "" && plan.LevelRank(r.Level.Value) < plan.LevelRank(p.opts.MinLevel):
			p.res.Stats.BelowLevel++
			continue
		}
		if first, dup := p.ids[e.plan.ID]; dup {
			p.res.Diagnostics.Errorf(r.ID.Pos, CodeDuplicateRule, "%s: id %s is also the id of a rule in %s; this one is not planned", ruleName(r), e.plan.ID, first)
			p.res.Stats.Refused++
			continue
		}
		p.ids[e.plan.ID] = e.d.path
		p.res.Plans = append(p.res.Plans, e.plan)
		p.res.Stats.Planned++
	}
}

// rule plans a detection rule with the filters that apply to it; nil when it is not planned
// (the diagnostics and the counts say why).
func (p *planning) rule(d decoded, filters []*filter.Filter) *plan.Plan {
	orig := d.rule
	r, err := filter.Apply(d.rule, filters)
	if err != nil {
		p.unsupported(d.rule, err)
		p.res.Stats.Refused++
		return nil
	}
	d.rule = r
	ls := r.LogSource
	targets, ok := p.opts.Mapping.Lookup(ls.Product.Value, ls.Category.Value, ls.Service.Value)
	if !ok {
		p.res.Diagnostics.Warnf(ls.Pos, CodeUncovered, "%s: %s", ruleName(r), mapping.Uncovered(ls.Product.Value, ls.Category.Value, ls.Service.Value))
		p.res.Stats.Uncovered++
		return nil
	}
	pl, used := p.detection(d, orig, targets)
	if pl == nil {
		p.res.Stats.Refused++
		return nil
	}
	plain := *pl // as correlations read it: before its matches are grouped per host
	base := &correlation.Base{Plan: &plain, Targets: used}
	for _, key := range []string{r.ID.Value, r.Name.Value} {
		if key != "" {
			if _, taken := p.bases[key]; !taken {
				p.bases[key] = base
			}
		}
	}
	p.correlate(pl)
	return pl
}

// correlation plans a correlation rule over the detection plans it references, which it
// marks consumed (or generated, with `generate: true`); nil when it is not planned.
func (p *planning) correlation(d decoded, entries []*entry) *plan.Plan {
	r := d.rule
	c, ds := correlation.Decode(r)
	p.res.Diagnostics = append(p.res.Diagnostics, ds...)
	if ds.HasErrors() || c == nil {
		p.res.Stats.Refused++
		return nil
	}
	built, err := correlation.Build(c, func(ref string) (*correlation.Base, bool) {
		b, ok := p.bases[ref]
		return b, ok
	})
	if err != nil {
		p.unsupported(r, err)
		p.res.Stats.Refused++
		return nil
	}
	for _, ref := range correlation.Referenced(c) {
		for _, e := range entries {
			if e.d.rule.Kind == sigma.KindRule && (e.d.rule.ID.Value == ref || e.d.rule.Name.Value == ref) {
				e.consumed = true
				e.generated = e.generated || correlation.Generates(c)
			}
		}
	}
	pl := p.header(d)
	pl.Kind, pl.Channels, pl.Correlation = built.Kind, built.Channels, built.Correlation
	pl.Rule.Type = string(c.Type)
	if len(pl.Techniques) == 0 { // a correlation without tags detects what its rules detect
		pl.Techniques = referencedTechniques(c, p.bases)
	}
	p.links.link(pl)
	return pl
}

// referencedTechniques are the techniques of the rules a correlation references, each once.
func referencedTechniques(c *correlation.Correlation, bases map[string]*correlation.Base) []plan.Technique {
	out := []plan.Technique{}
	seen := map[string]bool{}
	for _, ref := range correlation.Referenced(c) {
		b, ok := bases[ref]
		if !ok {
			continue
		}
		for _, t := range b.Plan.Techniques {
			if !seen[t.ID] {
				seen[t.ID] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// detection plans a detection rule over its targets, and gives the target of each channel;
// nil when no target compiles (the diagnostics say why). orig is the rule as decoded, before
// the filters (ahead.go keeps its compilation by it).
func (p *planning) detection(d decoded, orig *sigma.Rule, targets []mapping.Target) (*plan.Plan, []mapping.Target) {
	r := d.rule
	pl := p.header(d)
	var used []mapping.Target
	var never []string
	failed := false
	for i, t := range targets {
		expr, err := p.compile(orig, r, i, t)
		var nm *sigmacel.NeverMatchesError
		switch {
		case errors.As(err, &nm):
			never = append(never, fmt.Sprintf("%s lacks %s", t.LogSource, strings.Join(nm.Fields, ", ")))
			continue
		case err != nil:
			p.unsupported(r, err)
			failed = true
			continue
		}
		c := p.check(sigmacel.Selector(t) + " && (" + expr + ")")
		if c.msg != "" {
			p.res.Diagnostics.Errorf(r.Detection.Pos, CodeUnsupported, "%s on %s: the compiled detection is refused by CEL: %s", ruleName(r), t.LogSource, c.msg)
			failed = true
			continue
		}
		pl.Channels = append(pl.Channels, p.channel(len(pl.Channels), t, expr, c))
		used = append(used, t)
	}
	if len(never) > 0 {
		sev := p.res.Diagnostics.Warnf
		if len(pl.Channels) == 0 && !failed {
			sev = p.res.Diagnostics.Errorf
		}
		sev(r.Detection.Pos, CodeNeverMatches, "%s can never match on some events of its log source, left out: %s", ruleName(r), strings.Join(never, "; "))
	}
	if len(pl.Channels) == 0 || failed {
		return nil, nil
	}
	p.links.link(pl)
	return pl, used
}

// unsupported reports a compile error of sigmacel at its position.
func (p *planning) unsupported(r *sigma.Rule, err error) {
	var ce *sigmacel.Error
	if errors.As(err, &ce) {
		p.res.Diagnostics.Errorf(ce.Pos, CodeUnsupported, "%s: %s", ruleName(r), ce.Msg)
		return
	}
	p.res.Diagnostics.Errorf(r.Pos, CodeUnsupported, "%s: %v", ruleName(r), err)
}

// check type-checks, costs and plans expr as the runtime will, and lists its fields.
func (p *planning) check(expr string) checked { return p.cel.checks.get(expr) }

// correlate groups the plan's matches per host within Suppress: the plan alerts when any
// channel matches, and an alert collects the host's matches until the window closes.
func (p *planning) correlate(pl *plan.Plan) {
	if p.opts.Suppress <= 0 {
		return
	}
	ids := make([]string, len(pl.Channels))
	for i, ch := range pl.Channels {
		ids[i] = ch.ID
	}
	pl.Correlation = plan.Correlation{GroupBy: []string{"host"}, WindowLiteral: p.opts.Suppress.String(), Condition: strings.Join(ids, " || ")}
}

// header is the plan of rule d without channels: its identity and metadata.
func (p *planning) header(d decoded) *plan.Plan {
	r := d.rule
	pl := &plan.Plan{
		ID: planID(d), Name: r.Title.Value, Version: "", Modified: r.Modified.Value,
		Domains: []string{}, Platforms: platforms(r), Techniques: []plan.Technique{},
		Kind: plan.KindDetection, Channels: []*plan.Channel{}, Params: []*plan.Param{},
		Correlation: plan.Correlation{GroupBy: []string{}},
		Origin:      plan.OriginSigma, Level: r.Level.Value, References: texts(r.References),
		Rule: &plan.Rule{
			ID: r.ID.Value, Name: r.Name.Value, Title: r.Title.Value, Level: r.Level.Value, Status: r.Status.Value,
			Path: d.path, Author: r.Author.Value, References: texts(r.References), FalsePositives: texts(r.FalsePositives),
		},
	}
	if pl.Modified == "" {
		pl.Modified = r.Date.Value
	}
	pl.Techniques = p.techniques(r)
	return pl
}

// planID is the rule's id, or for a rule without one (the specification makes it optional)
// "sigma-" and a digest of its path and title, stable across runs.
func planID(d decoded) string {
	if id := strings.TrimSpace(d.rule.ID.Value); id != "" {
		return id
	}
	sum := sha256.Sum256([]byte(d.path + "\x00" + d.rule.Title.Value))
	return "sigma-" + hex.EncodeToString(sum[:8])
}

// platforms names the rule's product as ATT&CK names platforms.
func platforms(r *sigma.Rule) []string {
	switch strings.ToLower(r.LogSource.Product.Value) {
	case "windows":
		return []string{"Windows"}
	case "linux":
		return []string{"Linux"}
	case "macos":
		return []string{"macOS"}
	case "":
		return []string{}
	}
	return []string{r.LogSource.Product.Value}
}

// channel is target t of a rule, with the rule's detection on it as the predicate; c is
// what checking selector && (detection) found.
func (p *planning) channel(i int, t mapping.Target, expr string, c checked) *plan.Channel {
	ch := &plan.Channel{
		ID: fmt.Sprintf("c%d", i+1), LogSource: t.LogSource, Channel: targetText(t),
		Selector: sigmacel.Selector(t), Selects: plan.SelectsEventType, Predicate: expr,
		Origin: plan.OriginSigma, DataComponent: p.links.dataComponent(t),
	}
	if len(t.EventCodes) > 0 {
		vals := make([]any, len(t.EventCodes))
		for k, c := range t.EventCodes {
			vals[k] = int64(c)
		}
		ch.Route = &plan.Route{Field: "EventCode", Values: vals}
	}
	ch.Fields = append([]string{}, c.fields...) // the selector's, then the detection's
	if c.shadowed {
		ch.Fields = p.fieldsOf(ch.Selector, ch.Predicate)
	}
	return ch
}

// targetText is a target as ATT&CK writes a channel: "EventCode=1" or "EventCode=4, 16".
func targetText(t mapping.Target) string {
	if len(t.EventCodes) == 0 {
		return ""
	}
	codes := make([]string, len(t.EventCodes))
	for i, c := range t.EventCodes {
		codes[i] = fmt.Sprint(c)
	}
	return "EventCode=" + strings.Join(codes, ", ")
}

// fieldsOf are the event fields the expressions read, in first-read order.
func (p *planning) fieldsOf(exprs ...string) []string {
	fields := []string{}
	seen := map[string]bool{}
	for _, e := range exprs {
		for _, f := range p.cel.fields.get(e) {
			if !seen[f] {
				seen[f] = true
				fields = append(fields, f)
			}
		}
	}
	return fields
}

// texts are the values of positioned strings.
func texts(ss []yamlpos.String) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Value
	}
	return out
}
