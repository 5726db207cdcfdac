package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
