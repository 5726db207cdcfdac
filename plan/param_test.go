package plan_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/plan"
)

func TestTypeKeepsItsText(t *testing.T) {
	tests := []struct {
		text    string
		kind    plan.TypeKind
		wantErr string
	}{
		{text: "duration", kind: plan.TypeDuration},
		{text: "list(string)", kind: plan.TypeList},
		{text: " map(string, list(int)) ", kind: plan.TypeMap},
		{text: "boolean", wantErr: `unknown type "boolean"`},
		{text: "map(int)", kind: plan.TypeMap, wantErr: `type "map(int)": map needs two type arguments`},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			data, err := json.Marshal(plan.Param{Name: "P", Type: plan.ParseType(tc.text)})
			require.NoError(t, err)
			assert.Contains(t, string(data), `"type":"`+tc.text+`"`)
			var prm plan.Param
			require.NoError(t, json.Unmarshal(data, &prm))
			assert.Equal(t, tc.text, prm.Type.String())
			assert.Equal(t, tc.kind, prm.Type.Kind())
			if tc.wantErr == "" {
				assert.NoError(t, prm.Type.Err())
			} else {
				assert.ErrorContains(t, prm.Type.Err(), tc.wantErr)
			}
		})
	}
}

func TestParamCanonicalNamesTheParam(t *testing.T) {
	prm := &plan.Param{Name: "TimeWindow", Type: plan.ParseType("duration")}
	got, err := prm.Canonical("600s")
	require.NoError(t, err)
	assert.Equal(t, "10m", got)
	_, err = prm.Canonical(5)
	assert.EqualError(t, err, `param TimeWindow (duration): want duration such as "10m", got number 5`)
}

func readAN1828(t *testing.T) *plan.Plan {
	t.Helper()
	data, err := os.ReadFile("../testdata/plans/AN1828.plan.json")
	require.NoError(t, err)
	set, err := plan.Read(bytes.NewReader(data))
	require.NoError(t, err)
	return set.Plans[0]
}

func TestSetParamMovesTheWindow(t *testing.T) {
	p := readAN1828(t)
	assert.Equal(t, "TimeWindow", p.Correlation.WindowParam)
	assert.Empty(t, p.Correlation.WindowLiteral, "the decoded window repeats its parameter")
	require.NoError(t, p.SetParam("TimeWindow", "1200s"))
	assert.Equal(t, "20m", p.Window())
	d, err := p.WindowDuration()
	require.NoError(t, err)
	assert.Equal(t, 20*time.Minute, d)
	data, err := json.Marshal(p)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"window":"20m","window_param":"TimeWindow"`)

	assert.EqualError(t, p.SetParam("TimeWindow", nil), "param TimeWindow is the window and needs a duration")
	assert.EqualError(t, p.SetParam("NoSuchParam", 1), "analytic AN1828 has no parameter NoSuchParam")
	assert.Equal(t, "20m", p.Window(), "a refused value changes nothing")
}

func TestWindowLiteralWins(t *testing.T) {
	p := readAN1828(t)
	p.Correlation.WindowLiteral = "1m"
	assert.Equal(t, "1m", p.Window())
	d, err := p.WindowDuration()
	require.NoError(t, err)
	assert.Equal(t, time.Minute, d)
}
