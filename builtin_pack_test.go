package stixcel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
	"github.com/stixcel/stixcel/tester"
)

// datasetAlerts says, for each OTRF Windows attack simulation under shared/datasets, which
// built-in detection plans must alert on it. Every other detection plan must stay silent:
// a plan that alerts on a dataset outside its own technique is noise.
var datasetAlerts = []struct {
	dataset string
	want    []string
}{
	{"cmd_bitsadmin_download_psh_script", []string{"AN0274"}},                               // T1197 BITS Jobs
	{"cmd_mshta_vbscript_execute_psh", []string{"AN0209", "AN1397"}},                        // T1218.005 Mshta; AN0209 T1059.005: mshta vbscript:Execute(...) runs VBScript that starts PowerShell
	{"cmd_sam_copy_esentutl", []string{"AN0235"}},                                           // T1003.002 SAM
	{"cmd_service_mod_fax", []string{"AN1185", "AN1527"}},                                   // T1543.003 Windows Service; AN1185 T1569.002: `sc start Fax` has services.exe run the hijacked powershell.exe
	{"covenant_installutil", []string{"AN0388", "AN0578"}},                                  // T1218.004 InstallUtil; AN0578 T1059.003: the Grunt (GruntHTTP.exe on the Desktop) runs cmd.exe /c InstallUtil
	{"empire_persistence_registry_modification_run_keys_elevated_user", []string{"AN1032"}}, // T1547.001
	{"psh_lsass_memory_dump_comsvcs", []string{"AN1030", "AN1308"}},                         // T1003.001 LSASS Memory; AN1308 T1218.011: the dump is rundll32 proxy-executing comsvcs.dll MiniDump
	{"psh_mavinject_dll_notepad", []string{"AN1095", "AN1207", "AN1399"}},                   // T1055.001, T1218.013; AN1399 T1055 (parent technique)
	{"psh_python_webserver", []string{"AN0165"}},                                            // T1105 Ingress Tool Transfer
	{"schtask_create", []string{"AN1221"}},                                                  // T1053.005 Scheduled Task
}

// loadEnterprise loads the ATT&CK v18.1 enterprise bundle together with the embedded seed
// bundle and the built-in pack, as `stixcel test --bundle ENTERPRISE --bundle
// builtin:analytics/seed/AN1828.json` does, so that every binding of the built-in pack
// (AN1828 included) has its analytic.
func loadEnterprise(t *testing.T) *stixcel.Loaded {
	t.Helper()
	path := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	l, err := stixcel.Inputs{Bundles: []string{path, stixcel.SeedBundleName}}.Load()
	require.NoError(t, err)
	require.False(t, l.Builtin.Diagnostics.HasErrors(), "built-in pack: %v", l.Builtin.Diagnostics)
	return l
}

// compileBuiltin compiles what l loaded and fails on any diagnostic error.
func compileBuiltin(t *testing.T, l *stixcel.Loaded) *plan.Set {
	t.Helper()
	set, diags := l.Compile("")
	require.False(t, diags.HasErrors(), "compile with the built-in pack: %v", diags)
	return set
}

// detectionIDs lists the detection plans of set, sorted.
func detectionIDs(set *plan.Set) []string {
	var ids []string
	for _, p := range set.Plans {
		if p.Kind == plan.KindDetection {
			ids = append(ids, p.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// datasetRun is what one dataset did to the engine.
type datasetRun struct {
	alerts   map[string]int // analytic → alerts
	all      []*runtime.Alert
	hunts    int64
	read     event.ReadStats
	evalErrs []runtime.EvalErrors
}

// runDataset maps a raw Windows JSONL file through the built-in windows source profile and
// runs it through a fresh engine over set.
func runDataset(t *testing.T, set *plan.Set, profile *source.Profile, path string) datasetRun {
	t.Helper()
	return runDatasets(t, set, profile, []string{path})
}

// runDatasets is runDataset for several files, merged in event time through one engine as
// `stixcel run` merges its inputs.
func runDatasets(t *testing.T, set *plan.Set, profile *source.Profile, paths []string, opts ...runtime.Option) datasetRun {
	t.Helper()
	eng, err := runtime.New(set, opts...)
	require.NoError(t, err)
	run := datasetRun{alerts: map[string]int{}}
	emit := func(o runtime.Output) {
		if a, ok := o.(*runtime.Alert); ok {
			run.alerts[a.Analytic]++
			run.all = append(run.all, a)
		}
	}
	var readers []*event.Reader
	for _, path := range paths {
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		readers = append(readers, event.NewReader(f, filepath.Base(path), source.NewDecoder(profile)))
	}
	merged := event.NewMerger(event.MergeOptions{Lateness: event.DefaultLateness}, readers...)
	for {
		ev, rej, err := merged.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if rej == nil {
			eng.Process(context.Background(), ev, emit)
		}
	}
	eng.Flush(emit)
	run.read = merged.Stats()
	st := eng.Stats()
	run.evalErrs, run.hunts = st.ErrorsBy, st.Hunts
	return run
}

// TestBuiltinPackOnOTRFDatasets runs every shared OTRF Windows dataset through the built-in
// pack compiled against ATT&CK v18.1 and checks that each dataset raises alerts from exactly
// the analytics of its own technique.
func TestBuiltinPackOnOTRFDatasets(t *testing.T) {
	set := compileBuiltin(t, loadEnterprise(t))
	profile, err := source.Builtin("windows")
	require.NoError(t, err)
	dir := shared.Path(t, "datasets", "otrf-windows")
	plans := detectionIDs(set)

	runs := make(map[string]datasetRun, len(datasetAlerts))
	for _, tc := range datasetAlerts {
		t.Run(tc.dataset, func(t *testing.T) {
			run := runDataset(t, set, profile, filepath.Join(dir, tc.dataset+".jsonl"))
			runs[tc.dataset] = run
			assert.Equal(t, tc.want, alerting(run.alerts), "analytics alerting on %s", tc.dataset)
			assert.Empty(t, run.evalErrs, "CEL evaluation errors on %s", tc.dataset)
			assert.Positive(t, run.read.Processed, "events normalized from %s", tc.dataset)
		})
	}
	t.Logf("alerts per detection plan (rows) and dataset (columns):\n%s", alertMatrix(plans, runs))
}

// TestEveryPlanOnOTRFDatasetsWithoutErrors runs every plan ATT&CK v18.1 and the built-in pack
// compile to, the derived selectors of all 979 selector plans included (each made a hunt
// source, so that the runtime evaluates every selector, not only those worth hunting), over
// every shared OTRF Windows dataset in one engine: no evaluation may fail, and the built-in
// detections still raise their alerts.
func TestEveryPlanOnOTRFDatasetsWithoutErrors(t *testing.T) {
	set := huntEverySelector(compileBuiltin(t, loadEnterprise(t)))
	profile, err := source.Builtin("windows")
	require.NoError(t, err)
	dir := shared.Path(t, "datasets", "otrf-windows")
	var paths []string
	want := map[string]bool{}
	for _, tc := range datasetAlerts {
		paths = append(paths, filepath.Join(dir, tc.dataset+".jsonl"))
		for _, id := range tc.want {
			want[id] = true
		}
	}
	run := runDatasets(t, set, profile, paths, runtime.WithHunt(true))
	assert.Empty(t, run.evalErrs, "CEL evaluation errors")
	assert.Equal(t, slices.Sorted(maps.Keys(want)), alerting(run.alerts), "analytics alerting")
	assert.Positive(t, run.hunts, "the selectors matched something: they were evaluated")
	t.Logf("%d events, %d selector matches, alerts %v", run.read.Processed, run.hunts, run.alerts)
}

// huntEverySelector makes every selector plan of set a hunt source whose every selector
// selects content, so that a hunting engine evaluates them all.
func huntEverySelector(set *plan.Set) *plan.Set {
	selectors := 0
	for _, p := range set.Plans {
		if p.Kind != plan.KindSelector {
			continue
		}
		selectors++
		p.Hunt = true
		for _, ch := range p.Channels {
			if ch.Selector != "" {
				ch.Selects = plan.SelectsContent
			}
		}
	}
	if selectors == 0 {
		panic("no selector plans")
	}
	return set
}

// alerting returns the analytics with at least one alert, sorted.
func alerting(alerts map[string]int) []string {
	ids := []string{}
	for id, n := range alerts {
		if n > 0 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// alertMatrix renders alert counts per plan and dataset; columns are numbered and the legend
// names the datasets.
func alertMatrix(plans []string, runs map[string]datasetRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s", "plan")
	for i := range datasetAlerts {
		fmt.Fprintf(&b, " %4s", fmt.Sprintf("d%d", i+1))
	}
	b.WriteString("\n")
	for _, id := range plans {
		fmt.Fprintf(&b, "%-8s", id)
		for _, tc := range datasetAlerts {
			n := runs[tc.dataset].alerts[id]
			cell := "."
			if n > 0 {
				cell = fmt.Sprint(n)
			}
			fmt.Fprintf(&b, " %4s", cell)
		}
		b.WriteString("\n")
	}
	for i, tc := range datasetAlerts {
		r := runs[tc.dataset]
		fmt.Fprintf(&b, "d%-2d %s (%d events, %d rejected)\n", i+1, tc.dataset, r.read.Processed, r.read.RejectedTotal())
	}
	return b.String()
}

// TestBuiltinPackTests runs the built-in pack's own tests (as `stixcel test` does) against
// ATT&CK v18.1 and the seed bundle: every case must pass without an evaluation error (the
// bindings are null-safe: a string field may be null or absent).
func TestBuiltinPackTests(t *testing.T) {
	l := loadEnterprise(t)
	results := tester.NewRunner(l.Index, tester.Options{}).Run(context.Background(), l.AllPacks())
	perAnalytic := map[string]int{}
	total := 0
	for r := range results {
		total++
		perAnalytic[r.Analytic]++
		t.Run(r.ID(), func(t *testing.T) {
			require.NoError(t, r.Err, "%s", r.Location)
			assert.False(t, r.Fail, "%s: alerts differ from expect:\n%s", r.Location, r.Diff)
			assert.Empty(t, r.EvalErrors, "%s: evaluation errors", r.Location)
		})
	}
	assert.GreaterOrEqual(t, len(perAnalytic), 12, "analytics with tests")
	assert.GreaterOrEqual(t, total, 24, "test cases")
	t.Logf("%d test cases over %d analytics", total, len(perAnalytic))
}
