package condition

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sigmaRule is what this test reads of a Sigma rule: the detection, keys in order.
type sigmaRule struct {
	Detection yaml.MapSlice `yaml:"detection"`
}

// TestSigmaHQRulesParse parses and resolves the condition of every SigmaHQ rule (rules,
// rules-emerging-threats, rules-threat-hunting): all are valid v2 conditions.
func TestSigmaHQRulesParse(t *testing.T) {
	files := shared.SigmaRuleFiles(t)
	require.Greater(t, len(files), 3000, "the SigmaHQ rule folders look incomplete")

	forms := map[string]int{}
	var parsed, lists int
	var failures []string
	for _, path := range files {
		conds, names := readDetection(t, path)
		if len(conds) > 1 {
			lists++
		}
		n, err := ParseList(conds, names)
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		parsed++
		countForms(n, forms)
	}
	t.Logf("%d rule files, %d conditions parsed and resolved (%d written as lists), %d failed", len(files), parsed, lists, len(failures))
	t.Logf("forms seen: %v", forms)
	assert.Empty(t, failures, "conditions that do not parse or resolve:\n%s", strings.Join(failures, "\n"))
	assert.Positive(t, forms["1 of pattern"], "SigmaHQ uses `1 of pattern`")
	assert.Positive(t, forms["all of pattern"], "SigmaHQ uses `all of pattern`")
	assert.Positive(t, forms["not"], "SigmaHQ uses `not`")
}

// readDetection returns a rule's conditions (one, or a list's items) and its search
// identifiers in declared order.
func readDetection(t *testing.T, path string) (conds, names []string) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rule sigmaRule
	require.NoError(t, yaml.Unmarshal(data, &rule), path)
	for _, item := range rule.Detection {
		key := fmt.Sprint(item.Key)
		if key != "condition" {
			names = append(names, key)
			continue
		}
		switch v := item.Value.(type) {
		case string:
			conds = []string{v}
		case []any:
			for _, c := range v {
				conds = append(conds, fmt.Sprint(c))
			}
		default:
			t.Fatalf("%s: condition is %T", path, item.Value)
		}
	}
	require.NotEmpty(t, conds, "%s has no detection.condition", path)
	return conds, names
}

// countForms counts the operators and `x of` forms in n: "not", "and", "or", "1 of them",
// "all of pattern", ...
func countForms(n Node, forms map[string]int) {
	switch n := n.(type) {
	case *Not:
		forms["not"]++
		countForms(n.X, forms)
	case *And:
		forms["and"]++
		for _, t := range n.Terms {
			countForms(t, forms)
		}
	case *Or:
		forms["or"]++
		for _, t := range n.Terms {
			countForms(t, forms)
		}
	case *Of:
		target := "pattern"
		if n.Target == "them" {
			target = "them"
		}
		forms[n.Quant.String()+" of "+target]++
	}
}
