package alertfmt_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/alertfmt"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// ocsfRequired are the attributes OCSF 1.8.0 requires of a Detection Finding and of the
// objects it holds (base_event, finding, metadata, product, finding_info, analytic), and the
// at-least-one constraints of attack and evidences, as dotted paths; "[]" walks a list.
var ocsfRequired = []string{
	"class_uid", "category_uid", "activity_id", "type_uid", "severity_id", "time", "metadata",
	"metadata.version", "metadata.product", "metadata.product.name", "metadata.product.vendor_name",
	"finding_info", "finding_info.uid", "finding_info.analytic.type_id",
}

// sigmaSample is a Sigma rule's alert on two hosts' worth of evidence.
func sigmaSample() *runtime.Alert {
	a := sample()
	a.Analytic, a.Name, a.StixID, a.Severity = "3b4b232a-af90-427c-a22f-30b0c0837b95", "CMSTP Execution", "", "high"
	a.DetectionStrategy = runtime.Strategy{}
	a.Rule = &plan.Rule{ID: a.Analytic, Title: "CMSTP Execution", Level: "high", Path: "rules/cmstp.yml"}
	a.Analytics = []plan.AnalyticRef{{ID: "AN0932", DetectionStrategy: "DET0328", DetectionStrategyName: "CMSTP abuse"}}
	a.References = []string{"https://example.org/cmstp"}
	return a
}

func TestOCSF(t *testing.T) {
	tests := []struct {
		name     string
		alert    *runtime.Alert
		severity float64
		title    string
		analytic string
		related  int
	}{
		{name: "analytic without a level", alert: sample(), severity: 3, title: "Detection of LSASS access", analytic: "AN1030"},
		{name: "Sigma rule", alert: sigmaSample(), severity: 4, title: "CMSTP Execution", analytic: "3b4b232a-af90-427c-a22f-30b0c0837b95", related: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := render(t, alertfmt.OCSF, alertfmt.Options{}, tc.alert, tc.alert)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			require.Len(t, lines, 2, "one finding per alert, one per line")
			var f map[string]any
			require.NoError(t, json.Unmarshal([]byte(lines[0]), &f))
			for _, path := range ocsfRequired {
				assert.NotNil(t, lookup(f, path), "required %s", path)
			}
			assert.Equal(t, 2004.0, f["class_uid"])
			assert.Equal(t, 2.0, f["category_uid"])
			assert.Equal(t, 1.0, f["activity_id"])
			assert.Equal(t, 200401.0, f["type_uid"])
			assert.Equal(t, tc.severity, f["severity_id"])
			assert.Equal(t, float64(tc.alert.LastSeen.UnixMilli()), f["time"], "time is last_seen in epoch ms")
			assert.Equal(t, "1.8.0", lookup(f, "metadata.version"))
			assert.Equal(t, tc.alert.ID, lookup(f, "finding_info.uid"), "the alert id")
			assert.Equal(t, tc.title, lookup(f, "finding_info.title"))
			assert.Equal(t, tc.analytic, lookup(f, "finding_info.analytic.uid"))
			assert.Equal(t, map[string]any{"uid": "T1003"}, lookup(f, "finding_info.attacks.0.technique"))
			assert.Equal(t, "T1003.001", lookup(f, "finding_info.attacks.0.sub_technique.uid"))
			assert.Equal(t, []any{map[string]any{"uid": "TA0006", "name": "Credential Access"}}, lookup(f, "finding_info.attacks.0.tactics"))
			evidences, _ := f["evidences"].([]any)
			require.Len(t, evidences, 1, "one evidence per evidence event")
			assert.Equal(t, "a.jsonl", lookup(f, "evidences.0.data.source"))
			assert.Equal(t, "ws-1", lookup(f, "device.hostname"))
			related, _ := lookup(f, "finding_info.related_analytics").([]any)
			assert.Len(t, related, tc.related, "a Sigma rule's linked ATT&CK analytics")
		})
	}
}

func TestOCSFRefusesHunts(t *testing.T) {
	w, err := alertfmt.New(alertfmt.OCSF, &strings.Builder{}, alertfmt.Options{})
	require.NoError(t, err)
	assert.ErrorIs(t, w.Write(&runtime.Hunt{}), alertfmt.ErrHuntOCSF)
}

// lookup walks a dotted path of keys and list indexes; nil when absent.
func lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}
