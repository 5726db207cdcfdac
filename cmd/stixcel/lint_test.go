package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

const badPack = "cmd/stixcel/testdata/packs/bad"

func TestLintBadPack(t *testing.T) {
	r := runCLI(t, nil, "lint", badPack)
	assert.Equal(t, exitFindings, r.code)
	assert.Equal(t, []string{
		badPack + "/AN1828.yaml:4:14: warning: analytic AN1828: written_for has a version but no fingerprint, so channel changes within a version go unseen (v18.0 to v18.1 changed 322 analytics at version 1.0); `stixcel new --update " + badPack + "/AN1828.yaml` writes it",
		`    written_for: "1.1"`,
		"                 ^",
		badPack + "/AN1828.yaml:10:10: error: analytic AN1828 channel c1: undeclared reference to 'evnt' (in container '')",
		"        && !(evnt.dst_port in params.AllowedProtocolPortMappings[event.protocol])",
		"             ^",
		badPack + "/AN1828.yaml:11:3: error: analytic AN1828 has 7 log source references (c1..c7); there is no channel c9",
		`      c9: event.DeviceLockState == "locked"`,
		"      ^",
		badPack + `/AN1828.yaml:15:13: error: test "missing events file": events file ` + badPack + "/tests/nope.jsonl: file does not exist",
		"        events: tests/nope.jsonl",
		"                ^",
	}, lines(r.stdout))
}

func TestLintBuiltinPackIsClean(t *testing.T) {
	r := runCLI(t, nil, "lint")
	assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.NotContains(t, r.stdout, "error:")
}

func TestLintFormats(t *testing.T) {
	r := runCLI(t, nil, "lint", "--format", "json", badPack)
	assert.Equal(t, exitFindings, r.code)
	var diags []struct {
		Pos struct {
			File      string
			Line, Col int
		}
		Code, Severity, Message string
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &diags))
	require.Len(t, diags, 4)
	assert.Equal(t, "stixcel_written_for", diags[0].Code)
	assert.Equal(t, "warning", diags[0].Severity)
	assert.Equal(t, "stixcel_type_error", diags[1].Code)
	assert.Equal(t, 10, diags[1].Pos.Line)

	r = runCLI(t, nil, "lint", "--format", "sarif", badPack)
	assert.Equal(t, exitFindings, r.code)
	var sarif struct {
		Version string
		Runs    []struct {
			Results []struct {
				RuleID    string
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sarif))
	assert.Equal(t, "2.1.0", sarif.Version)
	require.Len(t, sarif.Runs[0].Results, 4)
	res := sarif.Runs[0].Results[2]
	assert.Equal(t, "stixcel_unknown_channel", res.RuleID)
	assert.Equal(t, "error", res.Level)
	assert.Equal(t, 11, res.Locations[0].PhysicalLocation.Region.StartLine)
	assert.Equal(t, badPack+"/AN1828.yaml", res.Locations[0].PhysicalLocation.ArtifactLocation.URI)

	r = runCLI(t, nil, "lint", "--format", "xml")
	assert.Equal(t, exitInput, r.code)
}

// TestLintAndRunRefuse: what run refuses, lint (and compile, where listed) refuse alike, at
// the same position: a too costly expression, and a pattern RE2 refuses (run used to refuse
// the whole plan set, with no position, after lint and compile had passed it).
func TestLintAndRunRefuse(t *testing.T) {
	const costly, badRegex = "cmd/stixcel/testdata/packs/costly", "cmd/stixcel/testdata/packs/badregex"
	tests := []struct {
		name  string
		pack  string
		want  string
		other [][]string // commands besides lint that must refuse the pack with the same message
	}{
		{name: "costly expression", pack: costly,
			want:  costly + "/AN1828.yaml:7:7: error: analytic AN1828 channel c4: expression too expensive: estimated cost 26666656 exceeds the limit 5000000",
			other: [][]string{{"run", "--pack", costly, "testdata/events/demo.jsonl"}}},
		{name: "bad regular expression", pack: badRegex,
			want:  badRegex + "/AN1828.yaml:8:37: error: analytic AN1828 channel c4: program: error parsing regexp: invalid repeat count: `{1001}`",
			other: [][]string{{"compile", "--pack", badRegex}, {"run", "--pack", badRegex, "testdata/events/demo.jsonl"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, "lint", tc.pack)
			assert.Equal(t, exitFindings, r.code)
			assert.Contains(t, r.stdout, tc.want)
			for _, args := range tc.other {
				r = runCLI(t, nil, args...)
				assert.Equal(t, exitInput, r.code, args)
				assert.Contains(t, r.stderr, tc.want, args)
				assert.Empty(t, r.stdout, args)
			}
		})
	}
}

// TestLintBindingFileWithoutBundle: lint takes a binding file; without the bundle of its
// analytic only its syntax is checked, a warning that says which bundle to pass, and an
// error under --strict.
func TestLintBindingFileWithoutBundle(t *testing.T) {
	const file = "analytics/enterprise/AN0165.yaml"
	const want = file + ":8:11: %s: analytic AN0165 is not in the loaded bundles; binding ignored (lint checked syntax only; pass --bundle enterprise-attack-….json, the ATT&CK bundle that has it)"
	r := runCLI(t, nil, "lint", file)
	assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, fmt.Sprintf(want, "warning"))
	assert.Contains(t, r.stderr, "0 errors, 1 warnings", "the other bindings of the directory are not linted")
	assert.Contains(t, r.stderr, "hint: 1 binding was checked for syntax only, its analytic not loaded (AN0165): pass --bundle enterprise-attack-….json (lint --strict makes this an error)\n")

	r = runCLI(t, nil, "lint", "--strict", file)
	assert.Equal(t, exitFindings, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, fmt.Sprintf(want, "error"))
	assert.Contains(t, r.stderr, "hint: 1 binding was checked for syntax only, its analytic not loaded (AN0165): pass --bundle enterprise-attack-….json\n")
}

// TestLintSigma: lint --sigma gives every finding of the rules at its line and column: a
// construct stixcel does not compile is an error (exit 1), a log source no mapping covers and
// a technique tag the bundles lack are warnings naming them (exit 0 alone, errors in SARIF
// only under --strict); a summary line says what became of the rules.
func TestLintSigma(t *testing.T) {
	dir := t.TempDir()
	rule := func(name, logsource, tag, detection string) string {
		p := filepath.Join(dir, name)
		text := "title: " + name + "\nid: " + name + "\nlogsource:\n    " + logsource + "\ntags:\n    - " + tag + "\ndetection:\n" + detection + "    condition: selection\nlevel: high\n"
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	const winProc = "product: windows\n    category: process_creation"
	const sel = "    selection:\n        Image|endswith: '\\evil.exe'\n"
	uncovered := rule("uncovered.yml", "category: webserver", "attack.t1190", "    selection:\n        cs-uri-query|contains: '/etc/passwd'\n")
	unknown := rule("unknown.yml", winProc, "attack.t9999", sel)
	refused := rule("refused.yml", winProc, "attack.execution", "    selection:\n        UtcTime|hour: 3\n")
	mobile := shared.Path(t, "attack", "mobile-attack-18.1-detection.json")

	all := runCLI(t, nil, "lint", "--bundle", mobile, "--sigma", dir)
	assert.Equal(t, exitFindings, all.code, all.stdout+all.stderr)
	for _, want := range []string{
		refused + ":10:17: error: rule \"refused.yml\": search selection, field UtcTime: modifier hour is not supported yet",
		uncovered + ":4:5: warning: rule \"uncovered.yml\": no Sigma log source mapping covers logsource {category: webserver}",
		unknown + ":7:7: warning: rule \"unknown.yml\": technique T9999 is not detected by any analytic of the loaded bundles",
	} {
		assert.Contains(t, all.stdout, want)
	}
	assert.NotContains(t, all.stdout, "analytics/", "the built-in pack is not linted beside --sigma")
	assert.Contains(t, all.stderr, "1 errors, 2 warnings\n")
	assert.Contains(t, all.stderr, "sigma: 3 rules in 3 files: 1 planned, 1 refused (stixcel_sigma_unsupported 1), 1 with no log source mapping, 0 below the level\n")

	warnings := runCLI(t, nil, "lint", "--bundle", mobile, "--sigma", uncovered, "--sigma", unknown, "--format", "sarif")
	assert.Equal(t, exitOK, warnings.code, warnings.stderr)
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
				Level  string `json:"level"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(warnings.stdout), &log))
	require.Len(t, log.Runs, 1)
	assert.ElementsMatch(t, []string{"stixcel_sigma_uncovered/warning", "stixcel_sigma_unknown_technique/warning"},
		[]string{log.Runs[0].Results[0].RuleID + "/" + log.Runs[0].Results[0].Level, log.Runs[0].Results[1].RuleID + "/" + log.Runs[0].Results[1].Level})

	missing := filepath.Join(dir, "none")
	runCases(t, []cliCase{{name: "a path that does not load is an input error", args: []string{"lint", "--sigma", missing}, code: exitInput,
		stderr: missing + ": error: sigma: stat " + missing}})
}
