package sigmacel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/compiler/sigma/mapping"
	"github.com/stixcel/stixcel/internal/shared"
)

// TestSigmaHQWindowsRulesCompile compiles every SigmaHQ Windows rule for every target its log
// source maps to, and type-checks, cost-checks and plans each expression with celenv as the
// runtime would: none that compiles may fail to type-check, go over the cost limit or fail
// to plan (long value lists are written compact). Refusals are counted by construct.
func TestSigmaHQWindowsRulesCompile(t *testing.T) {
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	m := mapping.Builtin()

	files := shared.SigmaRuleFiles(t, "rules/windows")
	require.Greater(t, len(files), 1000, "the SigmaHQ Windows rules look incomplete")

	refused := map[string]int{}
	var rules, pairs, compiled, unmapped int
	var failures, expensive []string
	for _, path := range files {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		decoded, ds := sigma.Decode(path, data)
		require.Empty(t, ds, path)
		for _, rule := range decoded {
			rules++
			ls := rule.LogSource
			targets, ok := m.Lookup(ls.Product.Value, ls.Category.Value, ls.Service.Value)
			if !ok {
				unmapped++
				continue
			}
			for _, target := range targets {
				pairs++
				expr, err := Compile(rule, target)
				if err != nil {
					refused[refusal(err)]++
					continue
				}
				compiled++
				if err := check(env, expr); err != nil {
					if strings.Contains(err.Error(), "too expensive") {
						expensive = append(expensive, fmt.Sprintf("%s (%s): %v", filepath.Base(path), target.LogSource, err))
						continue
					}
					failures = append(failures, fmt.Sprintf("%s (%s): %v\n  %s", path, target.LogSource, err, expr))
				}
			}
		}
	}
	t.Logf("%d Windows rules (%d with an unmapped log source): %d (rule, target) pairs, %d compiled and checked, %d refused",
		rules, unmapped, pairs, compiled, pairs-compiled)
	t.Logf("refused by construct: %v", refused)
	// A predicate over the cost limit is refused by celenv, as every plan's is: the runtime
	// could not bound its evaluation at the assumed event sizes.
	assert.Empty(t, expensive, "compiled expressions over celenv's cost limit:\n%s", strings.Join(expensive, "\n"))
	assert.Empty(t, failures, "compiled expressions celenv refuses:\n%s", strings.Join(failures, "\n"))
	assert.Greater(t, compiled, pairs*3/4, "most pairs should compile")
}

func check(e *cel.Env, expr string) error {
	ast, _, err := celenv.CompileBool(e, expr)
	if err != nil {
		return err
	}
	if err := celenv.CheckCost(e, ast, nil); err != nil {
		return err
	}
	return celenv.CheckProgram(e, ast, nil)
}

func refusal(err error) string {
	var e *Error
	var never *NeverMatchesError
	switch {
	case errors.As(err, &e):
		return e.Construct
	case errors.As(err, &never):
		return fmt.Sprintf("never matches on %s (lacks %s)", never.LogSource, strings.Join(never.Fields, ", "))
	}
	return "other: " + err.Error()
}
