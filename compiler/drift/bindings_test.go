package drift

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/pack"
)

// TestCheckBindingsFingerprint: a binding whose written_for fingerprint is the new
// release's is up to date and has not drifted, though its analytic changed between the
// releases; one with the old release's fingerprint, or another, has; one without a
// fingerprint is judged by the changes alone.
func TestCheckBindingsFingerprint(t *testing.T) {
	was := analytic(sysmon10, security)
	now := with(was, func(a *attack.Analytic) {
		a.LogSources = []attack.LogSourceRef{sysmon10, func() attack.LogSourceRef { r := security; r.Channel = "EventCode=4663, 4670"; return r }()}
	})
	same := with(was, func(a *attack.Analytic) { a.ID, a.StixID = "AN0002", "x-mitre-analytic--2" })
	r := Compare(attack.NewIndex([]*attack.Analytic{was, same}), attack.NewIndex([]*attack.Analytic{now, same}))
	binding := func(file, id, fingerprint string) *pack.Binding {
		return &pack.Binding{File: file, Analytic: pack.String{Value: id}, Fingerprint: pack.String{Value: fingerprint}}
	}
	tests := []struct {
		name string
		b    *pack.Binding
		why  []string // nil: not drifted
	}{
		{name: "written for the new release", b: binding("new.yaml", "AN0001", Fingerprint(now))},
		{name: "written for the old release", b: binding("old.yaml", "AN0001", Fingerprint(was)),
			why: []string{"c2 was WinEventLog:Security (DC0055 File Access) `EventCode=4663`, now `EventCode=4663, 4670`"}},
		{name: "no fingerprint, analytic changed", b: binding("short.yaml", "AN0001", ""),
			why: []string{"c2 was WinEventLog:Security (DC0055 File Access) `EventCode=4663`, now `EventCode=4663, 4670`"}},
		{name: "unchanged analytic, up to date", b: binding("same.yaml", "AN0002", Fingerprint(same))},
		{name: "unchanged analytic, fingerprint of a third release", b: binding("third.yaml", "AN0002", "0123456789abcdef"),
			why: []string{"written_for fingerprint 0123456789abcdef is not the new release's " + Fingerprint(same) +
				": the binding was written for another release; review it, then stixcel new --update third.yaml"}},
		{name: "no fingerprint, analytic unchanged", b: binding("short2.yaml", "AN0002", "")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := r.CheckBindings([]*pack.Binding{tc.b})
			if tc.why == nil {
				assert.Zero(t, n)
				assert.Empty(t, r.Bindings)
				if tc.b.File == "new.yaml" {
					assert.Equal(t, []string{"new.yaml"}, r.UpToDate, "up to date, though its analytic changed")
				} else {
					assert.Empty(t, r.UpToDate)
				}
				return
			}
			assert.Equal(t, 1, n)
			assert.Equal(t, []BindingDrift{{File: tc.b.File, Analytic: tc.b.Analytic.Value, Why: tc.why}}, r.Bindings)
		})
	}
}
