package plan_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
)

func TestReadWriteRoundTrip(t *testing.T) {
	data, err := os.ReadFile("../testdata/plans/AN1828.plan.json")
	require.NoError(t, err)
	set, err := plan.Read(bytes.NewReader(data))
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, set.Write(&out))
	assert.Equal(t, string(data), out.String(), "reading and writing a plan changes nothing")
}

func TestReadRejectsOtherSchemas(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"wrong schema", `{"schema": "stixcel.plan/v9", "plans": []}`, `plans: schema "stixcel.plan/v9", want "stixcel.plan/v3"`},
		{"older schema", `{"schema": "stixcel.plan/v1", "plans": []}`, "plans: schema \"stixcel.plan/v1\" is from an older stixcel (its plans lack the strategy names, tactics and evidence fields alerts cite), want \"stixcel.plan/v3\": compile the plans again with `stixcel compile`"},
		{"not JSON", `{"schema": `, "decode plans: unexpected EOF"},
		{"no schema", `{"plans": []}`, `plans: schema "", want "stixcel.plan/v3"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := plan.Read(bytes.NewReader([]byte(tc.in)))
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

// enterpriseArtifact is the plan artifact of the whole ATT&CK v18.1 enterprise bundle.
func enterpriseArtifact(b *testing.B) []byte {
	in := stixcel.Inputs{Bundles: []string{shared.Path(b, "attack", "enterprise-attack-18.1-detection.json")}, NoBuiltin: true}
	set, diags, err := in.Compile()
	require.NoError(b, err)
	require.NoError(b, diags.Err())
	var buf bytes.Buffer
	require.NoError(b, set.Write(&buf))
	return buf.Bytes()
}

// BenchmarkReadEnterprisePlans is the baseline of BenchmarkReadRunnableEnterprisePlans.
func BenchmarkReadEnterprisePlans(b *testing.B) {
	data := enterpriseArtifact(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := plan.Read(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestReadRunnableKeepsSelectedKinds(t *testing.T) {
	in := `{"schema": "stixcel.plan/v2", "plans": [
	  {"id": "AN1", "kind": "inert", "channels": []},
	  {"id": "AN2", "kind": "detection", "channels": [{"id": "c1", "predicate": "event.x == 1"}]},
	  {"id": "AN3", "kind": "selector", "channels": []}]}`
	detections := func(k plan.Kind, _ bool) bool { return k == plan.KindDetection }
	set, err := plan.ReadRunnable(bytes.NewReader([]byte(in)), detections)
	require.NoError(t, err)
	require.Len(t, set.Plans, 1)
	assert.Equal(t, "AN2", set.Plans[0].ID)
	assert.Equal(t, "event.x == 1", set.Plans[0].Channels[0].Predicate)

	_, err = plan.ReadRunnable(bytes.NewReader([]byte(`{"schema": "x", "plans": []}`)), detections)
	assert.EqualError(t, err, `plans: schema "x", want "stixcel.plan/v3"`)
	_, err = plan.ReadRunnable(bytes.NewReader([]byte(`{"schema": `)), detections)
	assert.EqualError(t, err, "decode plans: unexpected EOF")
	_, err = plan.ReadRunnable(bytes.NewReader([]byte(`{"schema": "stixcel.plan/v2", "plans": [{"kind": "detection", "channels": 5}]}`)), detections)
	assert.ErrorContains(t, err, "decode plans: plan : json: cannot unmarshal number")
	_, err = plan.ReadRunnable(bytes.NewReader([]byte(`{"schema": "stixcel.plan/v1", "plans": []}`)), detections)
	assert.ErrorContains(t, err, "is from an older stixcel", "a v1 artifact is refused with the remedy")
}

func TestReadRunnableHuntSources(t *testing.T) {
	in := `{"schema": "stixcel.plan/v2", "plans": [
	  {"id": "AN1", "kind": "selector", "channels": [{"id": "c1", "selector": "has(event.EventCode) && event.EventCode == 1", "selects": "event_type"}]},
	  {"id": "AN2", "kind": "selector", "hunt": true, "channels": [{"id": "c1", "selector": "has(event.CmdletName) && event.CmdletName == \"Get-User\"", "selects": "content"}]},
	  {"id": "AN3", "kind": "detection", "channels": []},
	  {"id": "AN4", "kind": "inert", "channels": []}]}`
	tests := []struct {
		name    string
		hunting bool
		want    []string
	}{
		{name: "hunting: detections and hunt sources", hunting: true, want: []string{"AN2", "AN3"}},
		{name: "not hunting: detections", want: []string{"AN3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := plan.ReadRunnable(bytes.NewReader([]byte(in)), func(k plan.Kind, hunt bool) bool {
				return plan.Runs(k, hunt, tc.hunting)
			})
			require.NoError(t, err)
			var got []string
			for _, p := range set.Plans {
				got = append(got, p.ID)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func BenchmarkReadRunnableEnterprisePlans(b *testing.B) {
	data := enterpriseArtifact(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := plan.ReadRunnable(bytes.NewReader(data), func(k plan.Kind, _ bool) bool { return k == plan.KindDetection }); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseRunnableFirstKeysAndErrors: the kind and hunt flag are their first occurrences in
// a plan, wherever they are (hunt before kind, or after the channels), and with plans decoded
// on every core the first failing plan in order is reported.
func TestParseRunnableFirstKeysAndErrors(t *testing.T) {
	in := `{"schema": "stixcel.plan/v2", "plans": [
	  {"id": "AN1", "hunt": true, "kind": "selector", "channels": [], "kind": "inert"},
	  {"id": "AN2", "kind": "selector", "channels": [], "hunt": true, "hunt": false},
	  {"id": "AN3", "kind": "selector", "channels": []},
	  {"id": "AN4", "kind": "inert", "hunt": true},
	  {"id": "AN5", "channels": []},
	  null]}`
	for _, hunting := range []bool{false, true} {
		set, err := plan.ParseRunnable([]byte(in), func(k plan.Kind, hunt bool) bool { return plan.Runs(k, hunt, hunting) })
		require.NoError(t, err)
		var got []string
		for _, p := range set.Plans {
			got = append(got, p.ID)
		}
		want := []string{"AN5", ""} // an unknown kind runs, for the runtime to refuse it
		if hunting {
			want = []string{"AN1", "AN2", "AN5", ""}
		}
		assert.Equal(t, want, got, "hunting %v", hunting)
	}

	bad := `{"schema": "stixcel.plan/v2", "plans": [{"id": "AN1", "kind": "detection"},
	  {"id": "AN2", "kind": "detection", "channels": 5}, {"id": "AN3", "kind": "detection", "params": 5}]}`
	for range 10 {
		_, err := plan.ParseRunnable([]byte(bad), func(plan.Kind, bool) bool { return true })
		assert.ErrorContains(t, err, "decode plans: plan AN2: json: cannot unmarshal number")
	}
	_, err := plan.ParseRunnable([]byte(`{"schema": "stixcel.plan/v2", "plans": [{"id": "AN1",}]}`), func(plan.Kind, bool) bool { return true })
	assert.ErrorContains(t, err, "decode plans: invalid character '}'", "invalid JSON: encoding/json's words")
}

// TestReadersKeepNumbersExact checks that a parameter's value and a route's values keep
// their numbers as written (json.Number), past float64's exact integers too, whichever
// reader decodes the artifact, and that both readers give the same plans.
func TestReadersKeepNumbersExact(t *testing.T) {
	in := `{"schema": "stixcel.plan/v3", "plans": [{"id": "AN1", "kind": "detection",
	  "channels": [{"id": "c1", "selector": "event.EventCode == 4688",
	    "route": {"field": "EventCode", "values": [4688, 9007199254740993, "4688"]}}],
	  "params": [{"name": "Limit", "type": "int", "value": 9007199254740993},
	    {"name": "Ratio", "type": "double", "value": 0.1},
	    {"name": "Codes", "type": "list(int)", "value": [1, 2]},
	    {"name": "None", "type": "string", "value": null},
	    {"name": "Absent", "type": "string"}]}]}`
	all := func(plan.Kind, bool) bool { return true }
	runnable, err := plan.ReadRunnable(bytes.NewReader([]byte(in)), all)
	require.NoError(t, err)
	whole, err := plan.Read(bytes.NewReader([]byte(in)))
	require.NoError(t, err)
	assert.Equal(t, whole.Plans, runnable.Plans, "both readers give the same plans")

	p := runnable.Plans[0]
	assert.Equal(t, []any{json.Number("4688"), json.Number("9007199254740993"), "4688"}, p.Channels[0].Route.Values)
	values := map[string]any{}
	for _, prm := range p.Params {
		values[prm.Name] = prm.Value
	}
	assert.Equal(t, map[string]any{"Limit": json.Number("9007199254740993"), "Ratio": json.Number("0.1"),
		"Codes": []any{json.Number("1"), json.Number("2")}, "None": nil, "Absent": nil}, values)
}
