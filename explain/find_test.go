package explain

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/stixcel/stixcel/plan"
)

func TestFind(t *testing.T) {
	set := &plan.Set{Plans: []*plan.Plan{
		{ID: "AN0001", StixID: "x-mitre-analytic--1", Techniques: []plan.Technique{{ID: "T1003.001"}}},
		{ID: "AN0002", StixID: "x-mitre-analytic--2", Techniques: []plan.Technique{{ID: "T1003"}}},
		{ID: "AN0003", StixID: "x-mitre-analytic--3", Techniques: []plan.Technique{{ID: "T10030"}}},
		{ID: "0b9ad457-2554-44c1-82c2-d56a99c42377", Origin: plan.OriginSigma, Techniques: []plan.Technique{{ID: "T1003.002"}},
			Rule: &plan.Rule{ID: "0b9ad457-2554-44c1-82c2-d56a99c42377", Title: "SAM Dump"}},
	}}
	tests := []struct {
		name, id string
		want     []string
	}{
		{name: "analytic id", id: "AN0002", want: []string{"AN0002"}},
		{name: "analytic id in lower case", id: "an0002", want: []string{"AN0002"}},
		{name: "STIX id", id: "x-mitre-analytic--3", want: []string{"AN0003"}},
		{name: "unknown", id: "AN9999"},
		{name: "Sigma rule id", id: "0B9AD457-2554-44C1-82C2-D56A99C42377", want: []string{"0b9ad457-2554-44c1-82c2-d56a99c42377"}},
		{name: "Sigma rule title in any case", id: "sam dump", want: []string{"0b9ad457-2554-44c1-82c2-d56a99c42377"}},
		{name: "sub-technique", id: "T1003.001", want: []string{"AN0001"}},
		{name: "technique and its sub-techniques", id: "T1003", want: []string{"AN0001", "AN0002", "0b9ad457-2554-44c1-82c2-d56a99c42377"}},
		{name: "technique in lower case", id: "t1003", want: []string{"AN0001", "AN0002", "0b9ad457-2554-44c1-82c2-d56a99c42377"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			if IsTechniqueID(tc.id) {
				for _, p := range OfTechnique(set, tc.id) {
					got = append(got, p.ID)
				}
			} else if p := Find(set, tc.id); p != nil {
				got = []string{p.ID}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestLookup: an analytic id gives its plan, a technique id its plans; none is an error
// naming the id (upper-cased for a technique).
func TestLookup(t *testing.T) {
	set := &plan.Set{Plans: []*plan.Plan{{ID: "AN0001", Techniques: []plan.Technique{{ID: "T1003.001"}}}}}
	p, plans, err := Lookup(set, "an0001", false)
	assert.NoError(t, err)
	assert.Equal(t, "AN0001", p.ID)
	assert.Nil(t, plans)

	p, plans, err = Lookup(set, "t1003", false)
	assert.NoError(t, err)
	assert.Nil(t, p)
	assert.Len(t, plans, 1)

	_, _, err = Lookup(set, "t1005", false)
	assert.EqualError(t, err, "no analytic of the loaded bundles detects technique T1005")
	_, _, err = Lookup(set, "AN0002", false)
	assert.EqualError(t, err, "analytic AN0002 is not in the loaded bundles")
}
