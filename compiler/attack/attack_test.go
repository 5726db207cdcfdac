package attack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/golden"
	"github.com/stixcel/stixcel/internal/shared"
)

func TestLoadEnterprise(t *testing.T) {
	ix, warnings, err := LoadPaths([]string{shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")}, Options{})
	require.NoError(t, err)
	assert.Empty(t, warnings)
	assert.Len(t, ix.Analytics, 1739)
	assert.Equal(t, 691, ix.Stats.Types[typeStrategy])
	assert.Equal(t, 2, ix.Stats.Ignored, "identity and marking-definition")

	strategies := map[string]bool{}
	withStrategy, withTechniques := 0, 0
	for _, a := range ix.Analytics {
		if a.Strategy != nil {
			withStrategy++
			strategies[a.Strategy.ID] = true
			assert.Equal(t, a.StrategyFromURL, a.Strategy.ID, "%s: strategy listing it vs its URL", a.ID)
		}
		if len(a.Techniques) > 0 {
			withTechniques++
		}
	}
	t.Logf("enterprise: %d analytics, %d with a strategy, %d with techniques, %d strategies", len(ix.Analytics), withStrategy, withTechniques, len(strategies))
	assert.Equal(t, 1739, withStrategy)
	assert.Equal(t, 1739, withTechniques)
	assert.Len(t, strategies, 691)
}

func TestAnalyticEndToEnd(t *testing.T) {
	ix, _, err := LoadPaths([]string{shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")}, Options{})
	require.NoError(t, err)
	a := ix.Analytic("AN1030")
	require.NotNil(t, a)
	assert.Same(t, a, ix.Analytic(a.StixID), "lookup by STIX id")
	assert.Equal(t, "x-mitre-analytic--2b0dd3b6-6949-4dd5-b0dd-7b0b6f431dbe", a.StixID)
	assert.Equal(t, "2025-11-12T22:03:39.105Z", a.Modified)
	assert.Equal(t, []string{"Windows"}, a.Platforms)
	require.NotNil(t, a.Strategy)
	assert.Equal(t, "DET0363", a.Strategy.ID)
	assert.Equal(t, "Detection of Credential Dumping from LSASS Memory via Access and Dump Sequence", a.Strategy.Name)
	assert.Equal(t, "DET0363", a.StrategyFromURL)

	require.Len(t, a.Techniques, 1)
	lsass := a.Techniques[0]
	assert.Equal(t, "T1003.001", lsass.ID)
	assert.Equal(t, "LSASS Memory", lsass.Name)
	require.NotNil(t, lsass.Parent)
	assert.Equal(t, "T1003", lsass.Parent.ID)
	assert.Equal(t, "OS Credential Dumping", lsass.Parent.Name)

	var sources []string
	for _, ls := range a.LogSources {
		sources = append(sources, fmt.Sprintf("%s %s -> %s %s", ls.Name, ls.Channel, ls.DataComponent.ID, ls.DataComponent.Name))
	}
	assert.Equal(t, []string{
		"WinEventLog:Sysmon EventCode=10 -> DC0035 Process Access",
		"WinEventLog:Sysmon EventCode=1 -> DC0032 Process Creation",
		"WinEventLog:Sysmon EventCode=11 -> DC0039 File Creation",
		"WinEventLog:Security EventCode=4673 -> DC0013 User Account Metadata",
		"WinEventLog:Sysmon EventCode=13, 14 -> DC0063 Windows Registry Key Modification",
	}, sources)
	assert.Equal(t, []string{"AccessMask", "TimeWindow", "ParentProcessName", "DumpFilePath", "CommandLinePattern"}, fields(a.MutableElements))
}

func TestLoadMobile(t *testing.T) {
	ix, warnings, err := LoadPaths([]string{shared.Path(t, "attack", "mobile-attack-18.1-detection.json")}, Options{})
	require.NoError(t, err)
	assert.Empty(t, warnings)
	assert.Len(t, ix.Analytics, 211)
	a := ix.Analytic("AN1828")
	require.NotNil(t, a)
	assert.Equal(t, "1.0", a.Version)
	require.NotNil(t, a.Strategy)
	assert.Equal(t, "DET0706", a.Strategy.ID)
}

func TestLoadSeed(t *testing.T) {
	ix, warnings, err := LoadPaths([]string{shared.Path(t, "seed", "AN1828.json")}, Options{})
	require.NoError(t, err)
	require.Len(t, warnings, 1, "the seed has no data component objects")
	assert.Equal(t, "7 of 7 log source references point to data components that are not loaded (their DC ids and names stay empty)", warnings[0].Msg)
	require.Len(t, ix.Analytics, 1)
	a := ix.Analytics[0]
	assert.Equal(t, "AN1828", a.ID)
	assert.Equal(t, "1.1", a.Version)
	assert.Equal(t, "2.0", a.SpecVersion, "from the bundle; the object has none")
	assert.Equal(t, "2026-03-19T19:41:30.977Z", a.Modified)
	assert.Equal(t, []string{"mobile-attack"}, a.Domains)
	assert.Nil(t, a.Strategy, "the seed has no detection strategy object")
	assert.Equal(t, "DET0706", a.StrategyFromURL)
	assert.Empty(t, a.Techniques)
	require.Len(t, a.LogSources, 7)
	for _, ls := range a.LogSources {
		assert.Empty(t, ls.DataComponent.ID, "no data component objects in the seed")
		assert.Empty(t, ls.DataComponent.Name)
		assert.True(t, strings.HasPrefix(ls.DataComponent.StixID, "x-mitre-data-component--"))
	}
	assert.Equal(t, "DeviceLockState=locked during outbound session using non-standard protocol-to-port pairing", a.LogSources[3].Channel)
	assert.Len(t, a.MutableElements, 8)
	assert.Equal(t, "AllowedProtocolPortMappings", a.MutableElements[0].Field)
}

// The seed is a newer version (1.1) of the mobile bundle's AN1828 (1.0): whatever the order,
// the seed's version wins and the bundle still supplies its detection strategy.
func TestSeedOverridesBundle(t *testing.T) {
	seed := shared.Path(t, "seed", "AN1828.json")
	mobile := shared.Path(t, "attack", "mobile-attack-18.1-detection.json")
	for name, paths := range map[string][]string{
		"seed last":  {mobile, seed},
		"seed first": {seed, mobile},
	} {
		t.Run(name, func(t *testing.T) {
			ix, _, err := LoadPaths(paths, Options{})
			require.NoError(t, err)
			assert.Equal(t, 1, ix.Stats.Duplicates)
			a := ix.Analytic("AN1828")
			require.NotNil(t, a)
			assert.Equal(t, "1.1", a.Version)
			assert.Equal(t, seed, a.File)
			require.NotNil(t, a.Strategy)
			assert.Equal(t, "DET0706", a.Strategy.ID)
			require.Len(t, a.LogSources, 7)
			dc := a.LogSources[0].DataComponent
			assert.Equal(t, "DC0085 Network Traffic Content", dc.ID+" "+dc.Name, "resolved from the mobile bundle")
		})
	}
}

func TestLoadReleaseBundle(t *testing.T) {
	ix, warnings := loadGolden(t, "release-2.1.json")
	require.Len(t, warnings, 1, "the fixture's second log source points at a missing data component")
	assert.Contains(t, warnings[0].Msg, "1 of 2 log source references point to data components that are not loaded")
	assert.Equal(t, 1, ix.Stats.Types[typeCollection])
	require.Len(t, ix.Analytics, 2)
	a := ix.Analytic("AN9001")
	require.NotNil(t, a)
	assert.Equal(t, "2.1", a.SpecVersion)
	require.NotNil(t, a.Strategy)
	assert.Equal(t, "DET9001", a.Strategy.ID)
	require.Len(t, a.Techniques, 1)
	assert.Equal(t, "T9001.001", a.Techniques[0].ID)
	require.NotNil(t, a.Techniques[0].Parent)
	assert.Equal(t, "T9001", a.Techniques[0].Parent.ID)
	assert.Equal(t, DataComponent{ID: "DC9001", StixID: "x-mitre-data-component--11111111-2222-4333-8444-000000000006", Name: "Process Access"}, a.LogSources[0].DataComponent)
	assert.Equal(t, DataComponent{StixID: "x-mitre-data-component--11111111-2222-4333-8444-000000000099"}, a.LogSources[1].DataComponent, "not in the bundle")
	assert.Same(t, a.Strategy, ix.Analytic("AN9002").Strategy, "one strategy lists both analytics")
}

func TestLoadDirectory(t *testing.T) {
	ix, warnings := loadGolden(t, "cti")
	msgs := make([]string, len(warnings))
	for i, w := range warnings {
		msgs[i] = w.Msg
	}
	assert.Equal(t, []string{
		"detection strategy DET9001 lists x-mitre-analytic--11111111-2222-4333-8444-000000000002, which is not loaded",
		"1 of 2 log source references point to data components that are not loaded (their DC ids and names stay empty)",
	}, msgs, "the directory holds one of the strategy's two analytics")
	assert.Equal(t, 7, ix.Stats.Files, "README.md is not read")
	require.Len(t, ix.Analytics, 1)
	a := ix.Analytics[0]
	assert.Equal(t, "2.0", a.SpecVersion)
	assert.Equal(t, filepath.Join("testdata", "cti", "x-mitre-analytic", a.StixID+".json"), a.File)
	require.NotNil(t, a.Strategy)
	require.Len(t, a.Techniques, 1)
	assert.Equal(t, "T9001", a.Techniques[0].Parent.ID)
}

func TestLoadStdin(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "release-2.1.json"))
	require.NoError(t, err)
	ix, _, err := LoadPaths([]string{"-"}, Options{Stdin: strings.NewReader(string(data))})
	require.NoError(t, err)
	require.Len(t, ix.Analytics, 2)
	assert.Equal(t, StdinName, ix.Analytics[0].File)

	_, _, err = LoadPaths([]string{"-"}, Options{Stdin: strings.NewReader(`{"type": "bundle", "objects": [`)})
	assert.EqualError(t, err, "<stdin>: not valid JSON: unexpected end of JSON input at offset 31 (line 1, column 32)")
}

func TestLoadPathErrors(t *testing.T) {
	empty := t.TempDir()
	_, _, err := LoadPaths([]string{empty}, Options{})
	assert.EqualError(t, err, empty+": no *.json files in directory")

	_, _, err = LoadPaths([]string{filepath.Join("testdata", "nope.json")}, Options{})
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestBadInput(t *testing.T) {
	tests := map[string]string{
		"truncated.json":         "not valid JSON: unexpected end of JSON input at offset 1870 (line 63, column 46)",
		"not-json.json":          "not valid JSON: invalid character 'y' in literal true (expecting 'r') at offset 1 (line 1, column 2)",
		"type-number.json":       `object 3 (x-mitre-analytic--11111111-2222-4333-8444-000000000002): "type" is a number, want a string`,
		"numbers.json":           "object 0: is a number, want a JSON object",
		"array-of-arrays.json":   "object 0: is an array, want a JSON object",
		"string.json":            "a JSON value that is a string, want a STIX bundle or an array of STIX objects",
		"bare-object.json":       `a single "x-mitre-analytic" object, want a STIX bundle or an array of STIX objects`,
		"objects-not-array.json": `bundle "objects" is an object, want an array`,
		"missing-id.json":        `object 0: missing "id"`,
		"bad-id.json":            `object 0 (x-mitre-analytic--AN9001): "id" is not of the form x-mitre-analytic--<uuid>`,
		"modified-number.json":   `object 0 (x-mitre-analytic--11111111-2222-4333-8444-000000000001): "modified" is a number, want an RFC 3339 timestamp`,
		"field-type.json":        "object 1 (attack-pattern--11111111-2222-4333-8444-000000000004): stix2: bad json data: json: cannot unmarshal number into Go struct field AttackPattern.name of type string",
		"start-time-number.json": "object 0 (relationship--11111111-2222-4333-8444-000000000007): stix2 panicked: runtime error: slice bounds out of range [1:0]",
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", file)
			var err error
			require.NotPanics(t, func() { _, _, err = LoadPaths([]string{path}, Options{}) })
			require.Error(t, err)
			assert.Equal(t, path+": "+want, err.Error())
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestBadInputStopsDirectoryLoad(t *testing.T) {
	_, _, err := LoadPaths([]string{filepath.Join("testdata", "cti"), filepath.Join("testdata", "bad", "numbers.json")}, Options{})
	var loadErr *LoadError
	require.ErrorAs(t, err, &loadErr)
	assert.Equal(t, 0, loadErr.Index)
}

const (
	analyticID = "x-mitre-analytic--22222222-3333-4444-8555-000000000001"
	otherID    = "x-mitre-analytic--22222222-3333-4444-8555-000000000002"
)

// analytic returns a minimal x-mitre-analytic; extra is spliced in as more properties.
func analytic(id, externalID, modified, name, extra string) string {
	return fmt.Sprintf(`{"type": "x-mitre-analytic", "id": %q, "created": "2025-01-01T00:00:00.000Z", "modified": %q, "name": %q,
		"external_references": [{"source_name": "mitre-attack", "external_id": %q}]%s}`, id, modified, name, externalID, extra)
}

func bundle(objects ...string) []byte {
	return []byte(`{"type": "bundle", "id": "bundle--22222222-3333-4444-8555-0000000000ff", "objects": [` + strings.Join(objects, ",") + "]}")
}

func TestDuplicates(t *testing.T) {
	older := analytic(analyticID, "AN9001", "2025-06-01T00:00:00.000Z", "older", "")
	newer := analytic(analyticID, "AN9001", "2026-01-01T00:00:00.000Z", "newer", "")
	sameTime := analytic(analyticID, "AN9001", "2026-01-01T00:00:00.000Z", "same time, later", "")
	tests := map[string]struct {
		sources []Source
		want    string
	}{
		"newer second":         {[]Source{{"a.json", bundle(older)}, {"b.json", bundle(newer)}}, "newer"},
		"newer first":          {[]Source{{"a.json", bundle(newer)}, {"b.json", bundle(older)}}, "newer"},
		"tie, later file wins": {[]Source{{"a.json", bundle(newer)}, {"b.json", bundle(sameTime)}}, "same time, later"},
		"within one file":      {[]Source{{"a.json", bundle(newer, older)}}, "newer"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ix, _, err := Load(tc.sources, Options{})
			require.NoError(t, err)
			require.Len(t, ix.Analytics, 1)
			assert.Equal(t, tc.want, ix.Analytics[0].Name)
			assert.Equal(t, 1, ix.Stats.Duplicates)
			assert.Equal(t, 2, ix.Stats.Objects)
		})
	}
}

func TestRevokedAndDeprecated(t *testing.T) {
	src := []Source{{"r.json", bundle(
		analytic(analyticID, "AN9001", "2026-01-01T00:00:00.000Z", "revoked", `, "revoked": true`),
		analytic(otherID, "AN9002", "2026-01-01T00:00:00.000Z", "deprecated", `, "x_mitre_deprecated": true`),
		analytic("x-mitre-analytic--22222222-3333-4444-8555-000000000003", "AN9003", "2026-01-01T00:00:00.000Z", "current", `, "revoked": false, "x_mitre_deprecated": false`),
	)}}
	tests := map[string]struct {
		opts    Options
		want    []string
		skipped int
	}{
		"left out by default": {Options{}, []string{"AN9003"}, 2},
		"IncludeRevoked":      {Options{IncludeRevoked: true}, []string{"AN9001", "AN9002", "AN9003"}, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ix, _, err := Load(src, tc.opts)
			require.NoError(t, err)
			var ids []string
			for _, a := range ix.Analytics {
				ids = append(ids, a.ID)
				assert.Equal(t, a.Name == "revoked", a.Revoked, a.ID)
				assert.Equal(t, a.Name == "deprecated", a.Deprecated, a.ID)
			}
			assert.Equal(t, tc.want, ids)
			assert.Equal(t, tc.skipped, ix.Stats.Skipped)
		})
	}
}

func TestSameExternalID(t *testing.T) {
	ix, warnings, err := Load([]Source{{"x.json", bundle(
		analytic(otherID, "AN9001", "2026-01-01T00:00:00.000Z", "second", ""),
		analytic(analyticID, "AN9001", "2026-01-01T00:00:00.000Z", "first", ""),
	)}}, Options{})
	require.NoError(t, err)
	assert.Len(t, ix.Analytics, 2)
	assert.Equal(t, "first", ix.Analytic("AN9001").Name, "sorted by STIX id")
	assert.Equal(t, "second", ix.Analytic(otherID).Name)
	require.Len(t, warnings, 1)
	assert.Equal(t, "x.json: "+otherID+": external id AN9001 is also "+analyticID+"'s; looking up AN9001 finds "+analyticID, warnings[0].String())
}

func TestIgnoredTypes(t *testing.T) {
	ix, warnings, err := Load([]Source{{"x.json", bundle(
		`{"type": "identity", "id": "identity--22222222-3333-4444-8555-000000000010", "name": "MITRE"}`,
		`{"type": "x-acme-widget", "id": "x-acme-widget--22222222-3333-4444-8555-000000000011", "shape": [1, 2]}`,
		analytic(analyticID, "AN9001", "2026-01-01T00:00:00.000Z", "a", ""),
	)}}, Options{})
	require.NoError(t, err)
	require.Len(t, warnings, 1, "identity is a STIX type: ignored quietly; x-acme-widget is not")
	assert.Equal(t, `x.json: x-acme-widget--22222222-3333-4444-8555-000000000011: 1 object of unknown type "x-acme-widget" ignored`, warnings[0].String())
	assert.Len(t, ix.Analytics, 1)
	assert.Equal(t, 2, ix.Stats.Ignored)
	assert.Equal(t, map[string]int{"identity": 1, "x-acme-widget": 1, typeAnalytic: 1}, ix.Stats.Types)
	assert.Equal(t, "1 file, 3 objects: 1 analytics, 0 revoked or deprecated skipped, 0 duplicates dropped, 2 of other types ignored", ix.Stats.String())
}

func TestWarnings(t *testing.T) {
	_, warnings, err := Load([]Source{{"w.json", bundle(
		`{"type": "x-mitre-analytic", "id": "`+analyticID+`", "modified": "2026-01-01T00:00:00.000Z",
		  "x_mitre_log_source_references": [{"name": "WinEventLog:Security", "channel": "EventCode=4688"}],
		  "x_mitre_mutable_elements": [{"description": "no field"}]}`,
		`{"type": "relationship", "id": "relationship--22222222-3333-4444-8555-000000000020", "relationship_type": "detects",
		  "source_ref": "x-mitre-detection-strategy--22222222-3333-4444-8555-000000000021", "target_ref": "attack-pattern--22222222-3333-4444-8555-000000000022"}`,
	)}}, Options{})
	require.NoError(t, err)
	var got []string
	for _, w := range warnings {
		got = append(got, w.String())
	}
	assert.Equal(t, []string{
		"w.json: relationship--22222222-3333-4444-8555-000000000020: detects target attack-pattern--22222222-3333-4444-8555-000000000022 is not loaded",
		"w.json: " + analyticID + ": analytic has no mitre-attack external id",
		"w.json: " + analyticID + ": analytic has no name",
		"w.json: " + analyticID + ": log source reference 0 lacks name or x_mitre_data_component_ref",
		"w.json: " + analyticID + ": mutable element 0 lacks field",
	}, got)
}

// A sub-technique without a subtechnique-of relationship finds its parent by ID. The
// deprecated technique before the parent checks that stix2's reuse of one map for every
// object's custom properties does not make the parent look deprecated too.
func TestParentByID(t *testing.T) {
	pattern := func(n int, externalID, extra string) string {
		return fmt.Sprintf(`{"type": "attack-pattern", "id": "attack-pattern--22222222-3333-4444-8555-%012d", "name": %q,
			"external_references": [{"source_name": "mitre-attack", "external_id": %q}]%s}`, n, "technique "+externalID, externalID, extra)
	}
	ix, warnings, err := Load([]Source{{"p.json", bundle(
		pattern(30, "T9000", `, "x_mitre_deprecated": true`),
		pattern(31, "T9001", ""),
		pattern(32, "T9001.001", `, "x_mitre_is_subtechnique": true`),
		`{"type": "x-mitre-detection-strategy", "id": "x-mitre-detection-strategy--22222222-3333-4444-8555-000000000033", "name": "s",
		  "external_references": [{"source_name": "mitre-attack", "external_id": "DET9001"}], "x_mitre_analytic_refs": ["`+analyticID+`"]}`,
		`{"type": "relationship", "id": "relationship--22222222-3333-4444-8555-000000000034", "relationship_type": "detects",
		  "source_ref": "x-mitre-detection-strategy--22222222-3333-4444-8555-000000000033", "target_ref": "attack-pattern--22222222-3333-4444-8555-000000000032"}`,
		analytic(analyticID, "AN9001", "2026-01-01T00:00:00.000Z", "a", ""),
	)}}, Options{})
	require.NoError(t, err)
	assert.Empty(t, warnings)
	techniques := ix.Analytic("AN9001").Techniques
	require.Len(t, techniques, 1)
	require.NotNil(t, techniques[0].Parent)
	assert.Equal(t, "T9001", techniques[0].Parent.ID)
}

func FuzzLoad(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.json"))
	require.NoError(f, err)
	for _, file := range append(files, filepath.Join("testdata", "release-2.1.json")) {
		data, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(data)
	}
	for _, s := range []string{"\xEF\xBB\xBF[]", "\xEF\xBB[]", strings.Repeat("[", 65), `[{"a": "\"[[[\\"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, _, err := Load([]Source{{"fuzz.json", data}}, Options{})
		if err == nil {
			require.NotNil(t, ix)
		} else {
			require.NotContains(t, err.Error(), "\n")
		}
	})
}

func fields(mes []MutableElement) []string {
	var out []string
	for _, me := range mes {
		out = append(out, me.Field)
	}
	return out
}

// loadGolden loads testdata/name and compares the index with testdata/name.golden
// (rewritten with -update).
func loadGolden(t *testing.T, name string) (*Index, []Warning) {
	t.Helper()
	ix, warnings, err := LoadPaths([]string{filepath.Join("testdata", name)}, Options{})
	require.NoError(t, err)
	got, err := json.MarshalIndent(struct {
		Analytics []*Analytic
		Stats     Stats
		Warnings  []Warning
	}{ix.Analytics, ix.Stats, warnings}, "", "  ")
	require.NoError(t, err)
	golden.Check(t, filepath.Join("testdata", strings.TrimSuffix(name, ".json")+".golden"), append(got, '\n'))
	return ix, warnings
}
