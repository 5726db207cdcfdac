package sigmacel

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/compiler/sigma/mapping"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/source"
)

// regressionInfo is what this test reads of a SigmaHQ regression test's info.yml.
type regressionInfo struct {
	RuleMetadata []struct {
		ID string `yaml:"id"`
	} `yaml:"rule_metadata"`
	Tests []struct {
		Type       string `yaml:"type"`
		MatchCount *int   `yaml:"match_count"`
		Path       string `yaml:"path"`
	} `yaml:"regression_tests_info"`
}

// TestSigmaHQRegressionData evaluates compiled rules over SigmaHQ's regression events (each
// test's .evtx read as `stixcel run` reads it: the windows source profile's normalized event,
// the channel's log source, EventID as EventCode, EventData's fields as text) and compares how many events match with
// the expected match_count (at least one when none is given). Rules that do not compile for
// any target are counted apart; a mismatch is listed.
func TestSigmaHQRegressionData(t *testing.T) {
	root := shared.Path(t, "sigma")
	regression := shared.Path(t, "sigma", "regression_data")
	rules := rulesByID(t, root)
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	m := mapping.Builtin()

	var cases, agree, refused, notWindows, evalErrors int
	var mismatches []string
	require.NoError(t, filepath.WalkDir(regression, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "info.yml" {
			return err
		}
		info := readInfo(t, path)
		if len(info.RuleMetadata) == 0 || len(info.Tests) == 0 {
			return nil
		}
		rule := rules[info.RuleMetadata[0].ID]
		if rule == nil || rule.LogSource.Product.Value != "windows" {
			notWindows++
			return nil
		}
		targets, ok := m.Lookup(rule.LogSource.Product.Value, rule.LogSource.Category.Value, rule.LogSource.Service.Value)
		if !ok {
			notWindows++
			return nil
		}
		programs := compileTargets(t, env, rule, targets)
		if len(programs) == 0 {
			refused++
			return nil
		}
		for _, tc := range info.Tests {
			cases++
			events := readEvents(t, filepath.Join(root, filepath.FromSlash(tc.Path)))
			got := 0
			for _, ev := range events {
				if anyMatch(programs, ev, &evalErrors) {
					got++
				}
			}
			want := 1
			if tc.MatchCount != nil {
				want = *tc.MatchCount
			}
			if got == want || tc.MatchCount == nil && got > 0 {
				agree++
				continue
			}
			mismatches = append(mismatches, fmt.Sprintf("%s: %d of %d events match, want %d", filepath.Dir(path), got, len(events), want))
		}
		return nil
	}))
	t.Logf("%d regression cases of compiled Windows rules: %d agree, %d differ; %d rules compile for no target, %d not Windows or not mapped",
		cases, agree, len(mismatches), refused, notWindows)
	t.Logf("differences:\n%s", strings.Join(mismatches, "\n"))
	t.Logf("%d evaluations failed (counted as no match)", evalErrors)
	require.Positive(t, cases)
	assert.GreaterOrEqual(t, agree, 190, "issue 22's bar: 190 of SigmaHQ's 202 regression cases")
}

func rulesByID(t *testing.T, root string) map[string]*sigma.Rule {
	out := map[string]*sigma.Rule{}
	for _, dir := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		require.NoError(t, filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yml") {
				return err
			}
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			rules, _ := sigma.Decode(path, data)
			for _, r := range rules {
				out[r.ID.Value] = r
			}
			return nil
		}))
	}
	return out
}

func readInfo(t *testing.T, path string) regressionInfo {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var info regressionInfo
	require.NoError(t, yaml.Unmarshal(data, &info), path)
	return info
}

// compileTargets builds, per target the rule compiles for, the program of its selector and
// detection.
func compileTargets(t *testing.T, env *cel.Env, rule *sigma.Rule, targets []mapping.Target) []cel.Program {
	var out []cel.Program
	for _, target := range targets {
		expr, err := Compile(rule, target)
		if err != nil {
			continue
		}
		ast, _, err := celenv.CompileBool(env, Selector(target)+" && ("+expr+")")
		require.NoError(t, err)
		prg, err := celenv.NewProgram(env, ast, 5000)
		require.NoError(t, err)
		out = append(out, prg)
	}
	return out
}

// anyMatch reports whether some program holds on ev; an evaluation error is no match, as in
// the runtime.
func anyMatch(programs []cel.Program, ev map[string]any, evalErrors *int) bool {
	for _, p := range programs {
		out, _, err := p.Eval(map[string]any{"event": ev})
		if err != nil {
			*evalErrors++
		}
		if err == nil && out == types.True {
			return true
		}
	}
	return false
}

// readEvents reads a regression case's events as `stixcel run` reads the .evtx it names, as
// test --sigma does (pump.ReadAll: winlog's evtx_dump JSON, read by the windows profile its
// shape implies); a rejected record fails the test.
func readEvents(t *testing.T, path string) []map[string]any {
	implied, err := source.ImpliedBuiltins()
	require.NoError(t, err)
	events, err := pump.ReadAll(context.Background(), []string{path}, func() event.Decoder { return source.NewImplied(implied...) })
	require.NoError(t, err)
	out := make([]map[string]any, len(events))
	for i, ev := range events {
		out[i] = ev.Map()
	}
	return out
}
