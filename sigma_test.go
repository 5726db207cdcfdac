package stixcel_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
)

// compileWithSigma compiles ATT&CK v18.1 with the built-in pack and the SigmaHQ rules under
// dir of the snapshot, grouped per host within suppress.
func compileWithSigma(t *testing.T, suppress time.Duration, dirs ...string) (*stixcel.Loaded, *plan.Set) {
	t.Helper()
	var paths []string
	for _, d := range dirs {
		paths = append(paths, shared.Path(t, "sigma", d))
	}
	in := stixcel.Inputs{
		Bundles: []string{shared.Path(t, "attack", "enterprise-attack-18.1-detection.json"), stixcel.SeedBundleName},
		Sigma:   paths, SigmaOptions: stixcel.SigmaOptions{Suppress: suppress},
	}
	l, err := in.Load()
	require.NoError(t, err)
	set, diags := l.Compile("")
	require.NoError(t, stixcel.ErrorsIn(l.Blocking(diags, false)), "only Sigma rules may be refused: %v", diags)
	return l, set
}

// TestSigmaAlertNamesAnalytics: the acceptance check of issue 22. A SigmaHQ rule tagged
// T1003.001 that matches a Sysmon process-access event of the LSASS dump names AN1030, the
// ATT&CK analytic of that technique on that telemetry, among its analytics.
func TestSigmaAlertNamesAnalytics(t *testing.T) {
	_, set := compileWithSigma(t, time.Hour, "rules/windows/process_access")
	windowsProfile, err := source.Builtin("windows")
	require.NoError(t, err)
	run := runDataset(t, set, windowsProfile, shared.Path(t, "datasets", "otrf-windows", "psh_lsass_memory_dump_comsvcs.jsonl"))
	var named []string
	for _, a := range run.all {
		if a.Rule == nil || !slices.ContainsFunc(a.Techniques, func(tq plan.Technique) bool { return tq.ID == "T1003.001" }) {
			continue
		}
		require.NotEmpty(t, a.Channels)
		assert.Equal(t, "WinEventLog:Sysmon", a.Channels[0].LogSource)
		assert.Equal(t, "DC0035", a.Channels[0].DataComponent.ID, "process access")
		for _, an := range a.Analytics {
			if an.ID == "AN1030" {
				named = append(named, a.Rule.Title)
				assert.Equal(t, "DET0363", an.DetectionStrategy)
			}
		}
		assert.NotEmpty(t, a.Severity, "the rule's level")
		assert.Equal(t, a.Rule.Title, a.Title())
	}
	assert.NotEmpty(t, named, "a T1003.001 rule alerts on the dump and names AN1030")
}

// TestSigmaWithPackOnOTRFDatasets: SigmaHQ's Windows rules beside the built-in pack, one
// artifact and one engine, over every shared dataset: no evaluation errors, the pack's alerts
// unchanged, and the rules detect the simulated technique in most datasets.
func TestSigmaWithPackOnOTRFDatasets(t *testing.T) {
	l, set := compileWithSigma(t, 0, "rules/windows")
	assert.Greater(t, l.Sigma.Stats.Planned, 2300, "SigmaHQ's Windows rules planned")
	profile, err := source.Builtin("windows")
	require.NoError(t, err)
	var paths []string
	for _, ds := range datasetAlerts {
		paths = append(paths, shared.Path(t, "datasets", "otrf-windows", ds.dataset+".jsonl"))
	}
	run := runDatasets(t, set, profile, paths)
	assert.Empty(t, run.evalErrs, "no evaluation errors")
	byDataset := map[string][]*runtime.Alert{}
	for _, a := range run.all {
		src := strings.TrimSuffix(a.Channels[0].Events[0].Source, ".jsonl")
		byDataset[src] = append(byDataset[src], a)
	}
	detected := 0
	for _, ds := range datasetAlerts {
		var analytics []string
		for _, a := range byDataset[ds.dataset] {
			if a.Rule == nil && !slices.Contains(analytics, a.Analytic) {
				analytics = append(analytics, a.Analytic)
			}
		}
		slices.Sort(analytics)
		assert.Equal(t, ds.want, analytics, "the pack's alerts on %s are those it gives alone", ds.dataset)
		if sigmaDetects(byDataset[ds.dataset], ds.dataset) {
			detected++
		}
	}
	assert.GreaterOrEqual(t, detected, 8, "datasets whose technique some Sigma rule detects")
}

// datasetTechniques are the techniques each shared dataset simulates.
var datasetTechniques = map[string][]string{
	"cmd_bitsadmin_download_psh_script": {"T1197"}, "cmd_mshta_vbscript_execute_psh": {"T1218.005"},
	"cmd_sam_copy_esentutl": {"T1003.002"}, "cmd_service_mod_fax": {"T1543.003"}, "covenant_installutil": {"T1218.004"},
	"empire_persistence_registry_modification_run_keys_elevated_user": {"T1547.001"},
	"psh_lsass_memory_dump_comsvcs":                                   {"T1003.001"}, "psh_mavinject_dll_notepad": {"T1218.013", "T1055.001"},
	"psh_python_webserver": {"T1105"}, "schtask_create": {"T1053.005"},
}

// sigmaDetects reports whether a Sigma alert names the dataset's technique.
func sigmaDetects(alerts []*runtime.Alert, dataset string) bool {
	for _, a := range alerts {
		if a.Rule == nil {
			continue
		}
		for _, tq := range a.Techniques {
			if slices.Contains(datasetTechniques[dataset], tq.ID) {
				return true
			}
		}
	}
	return false
}
