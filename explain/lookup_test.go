package explain

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/plan"
)

// TestLookupRules: with Sigma rules loaded, an id that is neither says so.
func TestLookupRules(t *testing.T) {
	set := &plan.Set{Plans: []*plan.Plan{{ID: "r1", Origin: plan.OriginSigma, Rule: &plan.Rule{ID: "r1", Title: "Rule One"}}}}
	p, _, err := Lookup(set, "rule one", false)
	require.NoError(t, err)
	assert.Equal(t, "r1", p.ID)
	_, _, err = Lookup(set, "AN9999", false)
	assert.EqualError(t, err, `no analytic or Sigma rule (id or title) "AN9999" is loaded`)
}
