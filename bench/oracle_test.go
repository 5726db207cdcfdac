package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/sigma"
	sigmacel "github.com/stixcel/stixcel/compiler/sigma/cel"
	"github.com/stixcel/stixcel/compiler/sigma/mapping"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
)

// oracleDisagreements names every SigmaHQ rule on which sigmacel and sigma-go answer
// differently for some event of the shared datasets, with the class of the reason (each
// shown by a TestOracleSigmaGo… test or explained in docs/sigma.md). A disagreement not
// listed, or one listed that no longer happens, fails TestOracleAgreement.
var oracleDisagreements = map[string]string{
	// proc_creation_win_wmic_namespace_defender: '/Namespace:\\\\root\\Microsoft...' on its own regression event
	"51cbac1e-eee3-4a90-b1b7-358efb81fa0a": "sigma-go: escaped backslashes kept (TestOracleSigmaGoBug_EscapedBackslash)",
	// proc_creation_win_certutil_ntlm_coercion: ' \\\\' on its own regression event
	"6c6d9280-e6d0-4b9d-80ac-254701b64916": "sigma-go: escaped backslashes kept (TestOracleSigmaGoBug_EscapedBackslash)",
	// proc_creation_win_wmic_squiblytwo_bypass: '\\\\' on the regression event of another wmic rule
	// (/Namespace:\\root\SecurityCenter2 ... /Format:List)
	"8d63dadf-b91b-4187-87b6-34a1114577ea": "sigma-go: escaped backslashes kept (TestOracleSigmaGoBug_EscapedBackslash)",
	// proc_creation_win_findstr_recon_pipe_output: 'ipconfig*|*find' on its own regression events
	"ccb5742c-c248-4982-8c5c-5571b9275ad3": "sigma-go: wildcards inside values are literal (TestOracleSigmaGoBug_Wildcards)",
}

// oracleRule is one SigmaHQ Windows rule on one of its targets, compiled both ways.
type oracleRule struct {
	id, file  string
	target    mapping.Target
	selector  string // CEL selecting the target's events
	predicate string // the rule's detection on them
	planID    string
	sigmaGo   *evaluator.RuleEvaluator
}

// oracleCounts is what TestOracleAgreement measures.
type oracleCounts struct {
	rules, multiDoc, pairs, compiled int
	refused                          map[string]int // sigmacel's refusals by construct
	goRefused                        int            // compiled rule×targets sigma-go cannot parse
	goErrors                         map[string]int // rule id: events sigma-go failed to evaluate
	goErrorPairs                     int            // (rule×target, event) pairs sigma-go failed to evaluate
	goErrorClasses                   map[string][]string
	evaluated, agree                 int // (rule×target, event) pairs both evaluated
	positive                         int // of them, pairs either engine matches
	disagree                         map[string][]string
}

// TestOracleAgreement compares sigmacel with sigma-go on real events: every SigmaHQ Windows
// rule (rules/, rules-emerging-threats/, rules-threat-hunting/) compiled for each of its
// targets and run by stixcel's runtime (one plan per rule×target, alerting per event, as
// `run` evaluates plans), against sigma-go's evaluator.ForRule(rule).Matches, on each event
// the target's selector selects of the OTRF datasets (read with the windows source profile)
// and of SigmaHQ's regression events (each .evtx read as `stixcel run` reads it, as test
// --sigma does). Both see the normalized event (its map); sigma-go is given the target's
// field renames (EventID → EventCode, Image → NewProcessName on Security 4688, ...) as a sigma-go config, so both
// read the same fields; it is also given the rule as the specification reads it where it
// has a spelling of its own (null values as its text "null", %...% values as plain text, not
// placeholders). Pairs where sigmacel refuses the rule on that target, or sigma-go cannot
// parse the rule or errs on the event (keywords, windash and the other modifiers it lacks),
// are not compared and are counted by reason. Agreement counts every compared pair, most of
// them events neither engine matches; the pairs either matches are logged apart.
func TestOracleAgreement(t *testing.T) {
	rules, c := oracleRules(t)
	events := oracleEvents(t)
	matched := runPlans(t, rules, events)
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	bySelector := map[string][]oracleRule{}
	for _, r := range rules {
		bySelector[r.selector] = append(bySelector[r.selector], r)
	}
	fieldsOf := make([]map[string]any, len(events)) // each event's map, built once
	for i, ev := range events {
		fieldsOf[i] = ev.Map()
	}
	ctx := context.Background()
	for sel, group := range bySelector {
		prg := selectorProgram(t, env, sel)
		for i, ev := range events {
			fields := fieldsOf[i]
			if !selects(prg, fields) {
				continue
			}
			for _, r := range group {
				res, err := r.sigmaGo.Matches(ctx, fields)
				if err != nil {
					c.goErrors[r.id]++
					c.goErrorPairs++
					c.goErrorClasses[goErrorClass(err)] = append(c.goErrorClasses[goErrorClass(err)], r.id)
					continue
				}
				c.count(r, matched[i][r.planID], res.Match, ev)
			}
		}
	}
	logOracle(t, c)
	require.Positive(t, c.evaluated)
	assert.GreaterOrEqual(t, float64(c.agree)/float64(c.evaluated), 0.95, "agreement on (rule, event) pairs both evaluate")
	disagreeing := c.evaluated - c.agree
	require.Positive(t, c.positive, "the events exercise the rules")
	assert.GreaterOrEqual(t, float64(c.positive-disagreeing)/float64(c.positive), 0.95, "agreement on the pairs either engine matches")
	var unlisted, fixed []string
	for id, d := range c.disagree {
		if _, ok := oracleDisagreements[id]; !ok {
			unlisted = append(unlisted, fmt.Sprintf("%s (%d events, e.g. %s)", id, len(d), d[0]))
		}
	}
	for id := range oracleDisagreements {
		if _, ok := c.disagree[id]; !ok {
			fixed = append(fixed, id)
		}
	}
	sort.Strings(unlisted)
	sort.Strings(fixed)
	assert.Empty(t, unlisted, "disagreements not in oracleDisagreements")
	assert.Empty(t, fixed, "oracleDisagreements lists rules that now agree")
}

// goErrorClass is the reason of a sigma-go evaluation error without the search's name.
func goErrorClass(err error) string {
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "error evaluating search") {
		msg = after
	}
	if i := strings.IndexAny(msg, "0123456789"); i > 40 {
		msg = msg[:i]
	}
	return msg
}

// count records one pair both evaluated.
func (c *oracleCounts) count(r oracleRule, ours, theirs bool, ev *event.Event) {
	c.evaluated++
	if ours || theirs {
		c.positive++
	}
	if ours == theirs {
		c.agree++
		return
	}
	c.disagree[r.id] = append(c.disagree[r.id], fmt.Sprintf("%s:%d: stixcel %v, sigma-go %v", ev.Source, ev.Line, ours, theirs))
}

func logOracle(t *testing.T, c oracleCounts) {
	t.Logf("%d Windows rules (%d in multi-document files, skipped): %d rule×targets, %d compiled, refused %v",
		c.rules, c.multiDoc, c.pairs, c.compiled, c.refused)
	t.Logf("sigma-go cannot parse %d compiled rule×targets; errs on %d pairs, of %d rules", c.goRefused, c.goErrorPairs, len(c.goErrors))
	for class, ids := range c.goErrorClasses {
		slices.Sort(ids)
		t.Logf("  sigma-go %s: %d rules", class, len(slices.Compact(ids)))
	}
	t.Logf("agreement: %d of %d (rule×target, event) pairs both evaluated (%.2f%%)", c.agree, c.evaluated,
		100*float64(c.agree)/float64(max(c.evaluated, 1)))
	t.Logf("pairs either engine matches: %d, of which they agree on %d", c.positive, c.positive-(c.evaluated-c.agree))
	ids := make([]string, 0, len(c.disagree))
	for id := range c.disagree {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t.Logf("disagree %s %s: %d events, e.g. %s", id, oracleDisagreements[id], len(c.disagree[id]), c.disagree[id][0])
	}
}

// oracleRules compiles every SigmaHQ Windows rule for every target both ways.
func oracleRules(t *testing.T) ([]oracleRule, oracleCounts) {
	c := oracleCounts{refused: map[string]int{}, goErrors: map[string]int{}, goErrorClasses: map[string][]string{}, disagree: map[string][]string{}}
	m := mapping.Builtin()
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	var out []oracleRule
	for _, path := range shared.SigmaRuleFiles(t) {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		decoded, _ := sigma.Decode(path, data)
		if len(decoded) != 1 {
			c.multiDoc += len(decoded)
			continue
		}
		rule := decoded[0]
		if !strings.EqualFold(rule.LogSource.Product.Value, "windows") {
			continue
		}
		c.rules++
		ls := rule.LogSource
		targets, ok := m.Lookup(ls.Product.Value, ls.Category.Value, ls.Service.Value)
		if !ok {
			continue
		}
		parsed, goErr := sigmago.ParseRule(data)
		nullAsText(parsed)
		expandWindash(parsed)
		for i, target := range targets {
			c.pairs++
			expr, err := sigmacel.Compile(rule, target)
			if err != nil {
				c.refused[refusal(err)]++
				continue
			}
			if err := checkCost(env, expr); err != nil {
				c.refused["cost limit"]++
				continue
			}
			c.compiled++
			if goErr != nil {
				c.goRefused++
				continue
			}
			out = append(out, oracleRule{
				id: rule.ID.Value, file: filepath.Base(path), target: target,
				selector: sigmacel.Selector(target), predicate: expr,
				planID:  fmt.Sprintf("%s#%d", rule.ID.Value, i),
				sigmaGo: evaluator.ForRule(parsed, evaluator.WithConfig(renames(target)), evaluator.WithPlaceholderExpander(literally)),
			})
		}
	}
	return out, c
}

// checkCost refuses, as celenv does every plan's predicate, an expression over the cost limit.
func checkCost(env *cel.Env, expr string) error {
	ast, _, err := celenv.CompileBool(env, expr)
	if err != nil {
		return err
	}
	return celenv.CheckCost(env, ast, nil)
}

func refusal(err error) string {
	var e *sigmacel.Error
	if errors.As(err, &e) {
		return e.Construct
	}
	if errors.Is(err, sigmacel.ErrNeverMatches) {
		return "never matches"
	}
	return "other"
}

// nullAsText rewrites a rule's null values (`Field: null`) as sigma-go spells them, the text
// "null" (which it matches on an absent field); a YAML null is an error to it.
func nullAsText(rule sigmago.Rule) {
	for _, search := range rule.Detection.Searches {
		for _, em := range search.EventMatchers {
			for i := range em {
				for j, v := range em[i].Values {
					if v == nil {
						em[i].Values[j] = "null"
					}
				}
			}
		}
	}
}

// windashChars are the characters the specification's windash makes interchangeable.
var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// expandWindash does for sigma-go, which lacks the modifier, what the specification says
// windash does: each value becomes every permutation of its dash characters, OR-ed. A
// matcher under all (each value's permutations OR-ed, the values AND-ed, which sigma-go
// cannot say) or with over three dashes in a value is left for sigma-go to refuse.
func expandWindash(rule sigmago.Rule) {
	for _, search := range rule.Detection.Searches {
		for _, em := range search.EventMatchers {
			for i := range em {
				fm := &em[i]
				at := slices.Index(fm.Modifiers, "windash")
				if at < 0 || slices.Contains(fm.Modifiers, "all") {
					continue
				}
				var values []any
				for _, v := range fm.Values {
					text, ok := v.(string)
					if !ok || strings.Count(text, "-")+strings.Count(text, "/")+strings.Count(text, "\u2013")+strings.Count(text, "\u2014")+strings.Count(text, "\u2015") > 3 {
						values = nil
						break
					}
					for _, p := range dashPermutations(text) {
						values = append(values, p)
					}
				}
				if values != nil {
					fm.Values = values
					fm.Modifiers = slices.Delete(slices.Clone(fm.Modifiers), at, at+1)
				}
			}
		}
	}
}

// dashPermutations returns text with each of its dash characters replaced by each of them.
func dashPermutations(text string) []string {
	out := []string{""}
	for _, r := range text {
		c := string(r)
		alts := []string{c}
		if slices.Contains(windashChars, c) {
			alts = windashChars
		}
		next := make([]string, 0, len(out)*len(alts))
		for _, prefix := range out {
			for _, a := range alts {
				next = append(next, prefix+a)
			}
		}
		out = next
	}
	return out
}

// literally is sigma-go's placeholder expander for values it takes for placeholders: any
// value written %...% (%AppData%, %COMSPEC%). The specification makes a placeholder only of
// a value under the expand modifier (which sigmacel refuses); others are plain text, so
// each expands to itself.
func literally(_ context.Context, value string) ([]string, error) { return []string{value}, nil }

// renames is the target's field renames as a sigma-go config.
func renames(t mapping.Target) sigmago.Config {
	fm := map[string]sigmago.FieldMapping{}
	for from, to := range t.Fields {
		fm[from] = sigmago.FieldMapping{TargetNames: []string{to}}
	}
	return sigmago.Config{FieldMappings: fm}
}

// oracleEvents reads the OTRF datasets with the windows profile and SigmaHQ's regression
// events (each .evtx read as `stixcel run` reads it, as test --sigma does), each event with a
// source and line unique over all of them (a regression event's line is its record number).
func oracleEvents(t *testing.T) []*event.Event {
	profile, err := source.Builtin("windows")
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(shared.Path(t, "datasets", "otrf-windows"), "*.jsonl"))
	require.NoError(t, err)
	var out []*event.Event
	for _, path := range files {
		f, err := os.Open(path)
		require.NoError(t, err)
		r := event.NewReader(f, filepath.Base(path), source.NewDecoder(profile))
		for {
			ev, rej, err := r.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			if rej == nil {
				out = append(out, ev)
			}
		}
		f.Close()
	}
	regression := shared.Path(t, "sigma", "regression_data")
	var evtx []string
	require.NoError(t, filepath.WalkDir(regression, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".evtx") {
			evtx = append(evtx, path)
		}
		return err
	}))
	implied, err := source.ImpliedBuiltins()
	require.NoError(t, err)
	evs, err := pump.ReadAll(context.Background(), evtx, func() event.Decoder { return source.NewImplied(implied...) })
	require.NoError(t, err)
	for _, ev := range evs {
		ev.Source, _ = filepath.Rel(regression, ev.Source)
	}
	return append(out, evs...)
}

// runPlans runs one plan per compiled rule×target over events with the runtime and returns,
// per event (by index), the plans that alerted on it.
func runPlans(t *testing.T, rules []oracleRule, events []*event.Event) []map[string]bool {
	set := &plan.Set{Schema: plan.Schema}
	for _, r := range rules {
		set.Plans = append(set.Plans, &plan.Plan{
			ID: r.planID, StixID: "x-mitre-analytic--sigma-" + r.planID, Name: r.file,
			Kind: plan.KindDetection, Params: []*plan.Param{},
			Channels: []*plan.Channel{{
				ID: "c1", LogSource: r.target.LogSource, Channel: "sigma",
				Selector: r.selector, Predicate: r.predicate,
				Origin: plan.OriginBound,
			}},
		})
	}
	eng, err := runtime.New(set, runtime.WithWorkers(1))
	require.NoError(t, err)
	out := make([]map[string]bool, len(events))
	for i := range events {
		out[i] = map[string]bool{}
	}
	index := map[string]int{}
	for i, ev := range events {
		index[fmt.Sprintf("%s:%d", ev.Source, ev.Line)] = i
	}
	collect := func(o runtime.Output) {
		if a, ok := o.(*runtime.Alert); ok {
			ev := a.Channels[0].Events[0]
			out[index[fmt.Sprintf("%s:%d", ev.Source, ev.Line)]][a.Analytic] = true
		}
	}
	for _, ev := range events {
		require.NoError(t, eng.Process(context.Background(), ev, collect))
	}
	eng.Flush(collect)
	return out
}

func selectorProgram(t *testing.T, env *cel.Env, expr string) cel.Program {
	ast, _, err := celenv.CompileBool(env, expr)
	require.NoError(t, err, expr)
	prg, err := celenv.NewProgram(env, ast, 5000)
	require.NoError(t, err, expr)
	return prg
}

func selects(prg cel.Program, fields map[string]any) bool {
	out, _, err := prg.Eval(map[string]any{"event": fields})
	return err == nil && out == types.True
}

// bothEngines evaluates a process_creation rule's detection (YAML indented under
// detection:) on one Sysmon process-creation event with sigmacel (through CEL) and sigma-go.
func bothEngines(t *testing.T, detection string, fields map[string]any) (ours, theirs bool) {
	t.Helper()
	src := "title: t\nid: 00000000-0000-0000-0000-000000000000\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n" + detection
	rules, ds := sigma.Decode("rule.yml", []byte(src))
	require.Empty(t, ds)
	targets, ok := mapping.Builtin().Lookup("windows", "process_creation", "")
	require.True(t, ok)
	expr, err := sigmacel.Compile(rules[0], targets[0])
	require.NoError(t, err)
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	ours = selects(selectorProgram(t, env, expr), fields)
	parsed, err := sigmago.ParseRule([]byte(src))
	require.NoError(t, err)
	res, err := evaluator.ForRule(parsed).Matches(context.Background(), fields)
	require.NoError(t, err)
	return ours, res.Match
}

// TestOracleSigmaGoBug_Wildcards: the specification ("String Wildcard") makes * in a value
// match any text, with or without a modifier; sigma-go compares it as a literal asterisk, so
// 'whoami*|*find' under contains misses "whoami /all | find ...", which SigmaHQ's regression
// event of proc_creation_win_findstr_recon_pipe_output expects to match.
func TestOracleSigmaGoBug_Wildcards(t *testing.T) {
	ours, theirs := bothEngines(t, "  sel:\n    CommandLine|contains: 'whoami*|*find'\n  condition: sel\n",
		map[string]any{"CommandLine": `cmd /c whoami /all | find "S-1-5"`})
	assert.True(t, ours, "sigmacel: the spec's wildcard")
	assert.False(t, theirs, "sigma-go: a literal asterisk")
}

// TestOracleSigmaGoBug_EscapedBackslash: the specification ("Escape Character") reads
// four backslashes as the plain value of two ("\\\\ results in the plain value \\");
// sigma-go keeps all four, so ' \\\\' misses a UNC path "\\\\host\\share"
// (proc_creation_win_certutil_ntlm_coercion, proc_creation_win_wmic_namespace_defender).
func TestOracleSigmaGoBug_EscapedBackslash(t *testing.T) {
	ours, theirs := bothEngines(t, "  sel:\n    CommandLine|contains: ' \\\\\\\\host'\n  condition: sel\n",
		map[string]any{"CommandLine": `certutil -syncwithWU  \\host\share`})
	assert.True(t, ours, "sigmacel: \\\\\\\\ is \\\\")
	assert.False(t, theirs, "sigma-go: four backslashes")
}
