package channel

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/internal/shared"
)

var dumpFile = flag.String("dump", "", "write every corpus derivation to this file, for review")

// reference is one log source reference of an analytic in the corpus.
type reference struct {
	Analytic  string
	LogSource string `json:"name"`
	Channel   string `json:"channel"`
}

// loadReferences reads the log source references of every analytic in a domain bundle.
func loadReferences(tb testing.TB, file string) []reference {
	tb.Helper()
	data, err := os.ReadFile(shared.Path(tb, "attack", file))
	require.NoError(tb, err)
	var bundle struct {
		Objects []struct {
			Type string `json:"type"`
			ID   string `json:"id"`
			Refs []struct {
				Name    string `json:"name"`
				Channel string `json:"channel"`
			} `json:"x_mitre_log_source_references"`
		} `json:"objects"`
	}
	require.NoError(tb, json.Unmarshal(data, &bundle), file)
	var refs []reference
	for _, o := range bundle.Objects {
		if o.Type != "x-mitre-analytic" {
			continue
		}
		for _, r := range o.Refs {
			refs = append(refs, reference{Analytic: o.ID, LogSource: r.Name, Channel: r.Channel})
		}
	}
	require.NotEmpty(tb, refs, file)
	return refs
}

// corpusResult summarises the derivations of a corpus.
type corpusResult struct {
	total, derived int
	reasons        map[string]int // reason category -> references
	selectors      map[string]Selector
}

func deriveCorpus(tax *Taxonomy, refs []reference) corpusResult {
	res := corpusResult{total: len(refs), reasons: map[string]int{}, selectors: map[string]Selector{}}
	for _, r := range refs {
		sel := Derive(tax, r.LogSource, r.Channel)
		res.selectors[r.LogSource+" | "+r.Channel] = sel
		if sel.Derived() {
			res.derived++
			continue
		}
		res.reasons[reasonCategory(sel.Reason)]++
	}
	return res
}

// reasonCategory is the part of a reason before its first colon ("prose", "channel None").
func reasonCategory(reason string) string {
	cat, _, _ := strings.Cut(reason, ":")
	return cat
}

func (c corpusResult) share() float64 { return float64(c.derived) / float64(c.total) }

func (c corpusResult) histogram() string {
	cats := make([]string, 0, len(c.reasons))
	for k := range c.reasons {
		cats = append(cats, k)
	}
	sort.Slice(cats, func(i, j int) bool { return c.reasons[cats[i]] > c.reasons[cats[j]] })
	var b strings.Builder
	for _, k := range cats {
		fmt.Fprintf(&b, "  %5d  %s\n", c.reasons[k], k)
	}
	return b.String()
}

func (c corpusResult) dump(tb testing.TB, path string) {
	keys := make([]string, 0, len(c.selectors))
	for k := range c.selectors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		s := c.selectors[k]
		if s.Derived() {
			fmt.Fprintf(&b, "DERIVED  %s\n    => %s\n", k, s.CEL)
		} else {
			fmt.Fprintf(&b, "NONE     %s\n    -- %s\n", k, s.Reason)
		}
	}
	require.NoError(tb, os.WriteFile(path, []byte(b.String()), 0o644))
}

func compileSelector(tb testing.TB, env *cel.Env, expr string) error {
	tb.Helper()
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return iss.Err()
	}
	if ast.OutputType() != cel.BoolType {
		return fmt.Errorf("%s: type %v, want bool", expr, ast.OutputType())
	}
	return nil
}

func TestEnterpriseCorpusShare(t *testing.T) {
	refs := loadReferences(t, "enterprise-attack-18.1-detection.json")
	res := deriveCorpus(DefaultTaxonomy(), refs)
	t.Logf("enterprise: %d of %d log source references derived (%.1f%%); underived by reason:\n%s",
		res.derived, res.total, 100*res.share(), res.histogram())
	if *dumpFile != "" {
		res.dump(t, *dumpFile)
	}
	assert.GreaterOrEqual(t, res.share(), 0.45, "derived share of enterprise references")

	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	for key, sel := range res.selectors {
		if sel.Derived() {
			assert.NoError(t, compileSelector(t, env, sel.CEL), key)
		}
	}
}

func TestMobileCorpusShare(t *testing.T) {
	refs := loadReferences(t, "mobile-attack-18.1-detection.json")
	res := deriveCorpus(DefaultTaxonomy(), refs)
	t.Logf("mobile: %d of %d log source references derived (%.1f%%); underived by reason:\n%s",
		res.derived, res.total, 100*res.share(), res.histogram())
	// Every mobile channel in ATT&CK v18.1 is "None".
	assert.Equal(t, res.total, res.reasons["channel None"])
}

func BenchmarkDeriveEnterprise(b *testing.B) {
	refs := loadReferences(b, "enterprise-attack-18.1-detection.json")
	tax := DefaultTaxonomy()
	b.ResetTimer()
	for b.Loop() {
		for _, r := range refs {
			Derive(tax, r.LogSource, r.Channel)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(refs)), "ns/ref")
}
