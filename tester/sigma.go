package tester

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/compiler/sigma/planner"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/bounded"
	"github.com/stixcel/stixcel/internal/yamlpos"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
)

// RegressionKey is the custom key of a SigmaHQ rule naming its regression test: the path,
// from the root of the rule's repository, of an info.yml listing the test's events and how
// many of them the rule matches.
const RegressionKey = "regression_tests_path"

// SigmaRules are the Sigma rules whose regression tests `stixcel test --sigma` runs: the rule
// files read, the compiled plans (Sigma plans are found by their rule's file and id), and the
// diagnostics of planning, which say why a rule has no plan.
type SigmaRules struct {
	Files       []planner.File
	Plans       []*plan.Plan
	Diagnostics diag.Diagnostics
}

// sigmaCase is one regression test of one rule.
type sigmaCase struct {
	rule    *sigma.Rule
	file    string     // the rule file
	pos     diag.Pos   // the rule's regression_tests_path key
	plan    *plan.Plan // nil when the rule was not planned: the case fails with refused
	info    string     // the info.yml, as found; "" when err is set
	root    string     // the directory the info.yml's paths are relative to
	test    regressionTest
	name    string
	err     error  // why the case cannot run
	refused string // why the rule has no plan
}

// regressionInfo is what stixcel reads of a SigmaHQ regression test's info.yml.
type regressionInfo struct {
	RuleMetadata []struct {
		ID string `yaml:"id"`
	} `yaml:"rule_metadata"`
	Tests []regressionTest `yaml:"regression_tests_info"`
}

// regressionTest is one entry of regression_tests_info: a file of events and how many of
// them match (at least one when match_count is not given).
type regressionTest struct {
	Name       string `yaml:"name"`
	Type       string `yaml:"type"`
	MatchCount *int   `yaml:"match_count"`
	Path       string `yaml:"path"`
}

// RunSigma runs the regression tests of the rules that name one (RegressionKey), one Result
// per test, in file and document order; the channel is closed at the end, or early when ctx
// is done. Each test's events (the .evtx its path names, read as `stixcel run` reads it, or
// the evtx_dump JSON beside it when it is missing) go through a fresh runtime.Engine holding
// the rule's plan with one alert per matching event (as --sigma-suppress 0), and the number
// of events that alerted is compared with match_count. A rule that has no plan fails its cases with the reason; a
// test whose files are missing could not run (Result.Err). Result.Analytic is the rule's
// title, Result.Name the test's name, Result.Rule the rule's id.
func (r *Runner) RunSigma(ctx context.Context, rules SigmaRules) <-chan Result {
	out := make(chan Result)
	go func() {
		defer close(out)
		for _, c := range sigmaCases(rules) {
			if r.opts.Run != nil && !r.opts.Run.MatchString(c.rule.Title.Value+"/"+c.name) {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			select {
			case out <- r.judgeEvalErrors(r.runSigmaCase(c)):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// sigmaCases are the regression tests of the rules of files, each with its rule's plan.
func sigmaCases(rules SigmaRules) []*sigmaCase {
	byRule := map[[2]string]*plan.Plan{}
	for _, p := range rules.Plans {
		if p.Origin == plan.OriginSigma && p.Rule != nil {
			byRule[[2]string{p.Rule.Path, p.Rule.ID + "\x00" + p.Rule.Title}] = p
		}
	}
	var out []*sigmaCase
	for _, f := range rules.Files {
		if !namesRegressionTest(f.Data) {
			continue
		}
		decoded, _ := sigma.Decode(f.Path, f.Data) // their errors are the planner's, in Diagnostics
		for _, rule := range decoded {
			entry, ok := regressionEntry(rule)
			if !ok {
				continue
			}
			base := sigmaCase{rule: rule, file: f.Path, pos: entry.Key.Pos}
			base.plan = byRule[[2]string{f.Path, rule.ID.Value + "\x00" + rule.Title.Value}]
			if base.plan == nil {
				base.refused = refusal(rules.Diagnostics, f.Path)
			}
			out = append(out, casesOf(base, scalarText(entry.Value))...)
		}
	}
	return out
}

// regressionEntry is the rule's RegressionKey entry.
func regressionEntry(r *sigma.Rule) (yamlpos.Entry, bool) {
	for _, e := range r.Custom {
		if e.Key.Value == RegressionKey {
			return e, true
		}
	}
	return yamlpos.Entry{}, false
}

// scalarText is the text of a scalar node ("" for anything else).
func scalarText(n ast.Node) string {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value
	case nil:
		return ""
	}
	if s, ok := n.(ast.ScalarNode); ok {
		return strings.TrimSpace(fmt.Sprint(s.GetValue()))
	}
	return ""
}

// refusal is why the rule of file has no plan: the planner's diagnostics in the file.
func refusal(diags diag.Diagnostics, file string) string {
	var lines []string
	for _, d := range diags {
		if d.Pos.File == file {
			lines = append(lines, d.Error())
		}
	}
	if len(lines) == 0 {
		return "the rule was not planned, and no diagnostic in its file says why (a correlation rule reads it without generate: true?)"
	}
	return "the rule was not planned:\n" + strings.Join(lines, "\n")
}

// casesOf reads the rule's info.yml (relPath from its repository's root) and makes one case
// per test it lists; one erring case when it cannot be read.
func casesOf(base sigmaCase, relPath string) []*sigmaCase {
	fail := func(err error) []*sigmaCase {
		c := base
		c.name, c.err = "regression test", fmt.Errorf("%s: %s %s: %w", base.pos, RegressionKey, relPath, err)
		return []*sigmaCase{&c}
	}
	if strings.TrimSpace(relPath) == "" {
		return fail(errors.New("want the path of an info.yml"))
	}
	info, root, err := findUp(filepath.Dir(base.file), relPath)
	if err != nil {
		return fail(err)
	}
	ri, err := readInfo(info)
	if err != nil {
		return fail(err)
	}
	if len(ri.Tests) == 0 {
		return fail(fmt.Errorf("%s lists no regression_tests_info", info))
	}
	seen := map[string]int{}
	var out []*sigmaCase
	for i, t := range ri.Tests {
		c := base
		c.info, c.root, c.test = info, root, t
		c.name = t.Name
		if c.name == "" {
			c.name = fmt.Sprintf("test %d", i+1)
		}
		if seen[c.name]++; seen[c.name] > 1 {
			c.name = fmt.Sprintf("%s #%d", c.name, seen[c.name])
		}
		out = append(out, &c)
	}
	return out
}

// findUp finds rel under dir or its nearest parent that has it, as SigmaHQ's regression
// runner resolves the path against the repository's root; it returns the file and that
// directory.
func findUp(dir, rel string) (path, root string, err error) {
	rel = filepath.FromSlash(rel)
	if filepath.IsAbs(rel) {
		return rel, string(filepath.Separator), statFile(rel)
	}
	start := dir
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", "", fmt.Errorf("not found in %s or any directory above it (the path is from the root of the rule's repository)", start)
		}
		dir = parent
	}
}

func statFile(p string) error {
	_, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s does not exist", p)
	}
	return err
}

// readInfo reads an info.yml.
func readInfo(path string) (regressionInfo, error) {
	var ri regressionInfo
	data, err := bounded.ReadFile(path, bounded.MaxYAMLSize, "YAML", nil)
	if err != nil {
		return ri, err
	}
	if err := yaml.Unmarshal(data, &ri); err != nil {
		return ri, fmt.Errorf("%s: %w", path, err)
	}
	return ri, nil
}

// runSigmaCase runs one regression test.
func (r *Runner) runSigmaCase(c *sigmaCase) Result {
	start := time.Now()
	res := Result{Location: c.pos, Analytic: c.rule.Title.Value, Name: c.name, Rule: c.rule.ID.Value}
	if res.Analytic == "" {
		res.Analytic = c.rule.ID.Value
	}
	switch {
	case c.err != nil:
		res.Err = c.err
	case c.refused != "":
		res.Fail, res.Diff = true, c.refused
	default:
		r.runRegression(c, &res)
	}
	res.Duration = time.Since(start)
	return res
}

// runRegression feeds the test's events through the rule's plan and compares how many
// alerted with match_count.
func (r *Runner) runRegression(c *sigmaCase, res *Result) {
	events, name, err := r.regressionEvents(c)
	if err != nil {
		res.Err = err
		return
	}
	eng, err := runtime.New(&plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{perMatch(c.plan)}}, r.opts.Engine...)
	if err != nil {
		res.Err = fmt.Errorf("%s: %w", c.pos, err)
		return
	}
	matched := map[int]bool{}
	emit := func(o runtime.Output) {
		if a, ok := o.(*runtime.Alert); ok {
			res.Alerts = append(res.Alerts, a)
			for _, l := range alertLines(a) {
				matched[l] = true
			}
		}
	}
	for _, ev := range events {
		eng.Process(context.Background(), ev, emit)
	}
	eng.Flush(emit)
	res.Events = len(events)
	res.EvalErrors = eng.Stats().ErrorsBy
	got := len(matched)
	if got == 0 {
		got = len(res.Alerts)
	}
	if diff, ok := compareCount(c, got, len(events), name, r.opts.ExactCount); !ok {
		res.Fail, res.Diff = true, diff
	}
}

// perMatch is p alerting once per matching event (--sigma-suppress 0): without the grouping
// per host within a window. A correlation rule's plan is kept as it is: its window and
// condition are its logic.
func perMatch(p *plan.Plan) *plan.Plan {
	if p.Rule != nil && p.Rule.Type != "" {
		return p
	}
	cp := *p
	cp.Correlation = plan.Correlation{GroupBy: []string{}}
	return &cp
}

// alertLines are the lines, in the test's events, of the events an alert cites.
func alertLines(a *runtime.Alert) []int {
	var lines []int
	for _, ch := range a.Channels {
		for _, e := range ch.Events {
			if e != nil {
				lines = append(lines, e.Line)
			}
		}
	}
	return lines
}

// compareCount says how the count of matching events differs from the test's. As SigmaHQ's
// regression runner, which checks only that the rule matches: some event must match, or none
// when match_count is 0; with exact, the count must be match_count (when given).
func compareCount(c *sigmaCase, got, total int, events string, exact bool) (string, bool) {
	mc := c.test.MatchCount
	switch {
	case mc != nil && (exact || *mc == 0) && got != *mc:
		return fmt.Sprintf("%d of %d events match, want match_count %d (%s)\n  events: %s", got, total, *mc, c.info, events), false
	case mc != nil && (exact || *mc == 0):
		return "", true
	case got == 0:
		return fmt.Sprintf("no event of %d matches, want at least one (%s)\n  events: %s", total, c.info, events), false
	}
	return "", true
}

// regressionEvents reads a test's events as `stixcel run` reads the file the test names
// (package winlog: an .evtx's records as evtx_dump's JSON; the built-in source profiles
// their shapes imply: the windows profile's normalized event), merged in event time. When
// that file does not exist, the evtx_dump JSON beside it (evtx_dump -o json) is read the same
// way. A rejected record is the error. It returns the name of the file read too.
func (r *Runner) regressionEvents(c *sigmaCase) ([]*event.Event, string, error) {
	if t := strings.ToLower(c.test.Type); t != "" && t != "evtx" {
		return nil, "", fmt.Errorf("%s: test %q is of type %q: stixcel runs evtx tests", c.info, c.name, c.test.Type)
	}
	if c.test.Path == "" {
		return nil, "", fmt.Errorf("%s: test %q has no path", c.info, c.name)
	}
	name, err := regressionFile(filepath.Join(c.root, filepath.FromSlash(c.test.Path)))
	if err != nil {
		return nil, name, fmt.Errorf("%s: test %q: %w", c.info, c.name, err)
	}
	events, err := pump.ReadAll(context.Background(), []string{name}, func() event.Decoder { return source.NewImplied(r.implied...) })
	return events, name, err
}

// regressionFile is the file of a test's events: path, or when it does not exist the
// evtx_dump JSON beside it.
func regressionFile(path string) (string, error) {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return path, nil // read, or its error reported, as run would
	}
	beside := strings.TrimSuffix(path, filepath.Ext(path)) + ".json"
	if _, err := os.Stat(beside); err == nil {
		return beside, nil
	}
	return path, fmt.Errorf("%s does not exist, nor the evtx_dump JSON beside it (%s)", path, filepath.Base(beside))
}

// PassedRules runs the regression tests of rules and returns the ids of the rules whose
// tests ran and all passed: what stixcel coverage calls tested.
func PassedRules(ctx context.Context, rules SigmaRules) map[string]bool {
	passed, failed := map[string]bool{}, map[string]bool{}
	for r := range NewRunner(nil, Options{}).RunSigma(ctx, rules) {
		switch {
		case r.Passed():
			passed[r.Rule] = true
		case r.Err != nil || r.Fail:
			failed[r.Rule] = true
		}
	}
	for id := range failed {
		delete(passed, id)
	}
	return passed
}

// RegressionInputs are the rule files `test --sigma` plans: those that name a regression
// test (a line that starts with RegressionKey), the only ones RunSigma has cases for, and the
// filter rules (a line that starts with "filter:"), which change what those rules match.
// Correlation rules are left out: a rule a correlation reads does not alert alone, and its
// regression test tests the rule. When a correlation rule names a regression test itself,
// every file is kept, the rules it reads among them.
func RegressionInputs(files []planner.File) []planner.File {
	var out []planner.File
	for _, f := range files {
		tested := namesRegressionTest(f.Data)
		if tested && hasLine(f.Data, "correlation:") {
			return files
		}
		if tested || hasLine(f.Data, "filter:") {
			out = append(out, f)
		}
	}
	return out
}

// namesRegressionTest reports whether a rule file may name a regression test.
func namesRegressionTest(data []byte) bool { return hasLine(data, RegressionKey+":") }

// hasLine reports whether a line of data starts with prefix.
func hasLine(data []byte, prefix string) bool {
	return bytes.HasPrefix(data, []byte(prefix)) || bytes.Contains(data, []byte("\n"+prefix))
}
