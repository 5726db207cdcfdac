package drift

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// TestCheckPacks: the bindings of pack directories are checked, and the verdict counts the
// drifted ones naming the releases; a pack with errors stops the check, naming the pack.
func TestCheckPacks(t *testing.T) {
	was := analytic(sysmon10, security)
	now := with(was, func(a *attack.Analytic) { a.LogSources = []attack.LogSourceRef{sysmon10} })
	r := Compare(attack.NewIndex([]*attack.Analytic{was}), attack.NewIndex([]*attack.Analytic{now}))
	r.Old.Files, r.New.Files = []string{"18.0.json"}, []string{"18.1.json"}
	assert.NoError(t, r.Drifted(), "no bindings checked")

	good, bad := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(good, "AN0001.yaml"), []byte("analytic: AN0001\nchannels:\n  c1: \"true\"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(bad, "AN0001.yaml"), []byte("analytic: [\n"), 0o644))

	diags, err := r.CheckPacks([]string{good})
	require.NoError(t, err)
	assert.Empty(t, diags)
	require.Len(t, r.Bindings, 1)
	assert.EqualError(t, r.Drifted(), "1 bindings drifted between 18.0.json and 18.1.json: review them, then stixcel new --update")

	diags, err = r.CheckPacks([]string{good, bad})
	assert.EqualError(t, err, "pack "+bad+" has errors")
	assert.True(t, diags.HasErrors())
}
