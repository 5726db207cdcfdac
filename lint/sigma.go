package lint

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/stixcel/stixcel/compiler/sigma/planner"
	"github.com/stixcel/stixcel/diag"
)

// SigmaInputs are the Sigma rules `lint --sigma` checks: the paths named, the files read
// from them and the mapping file ("" for the built-in mapping alone).
type SigmaInputs struct {
	Paths   []string
	Files   []planner.File
	Mapping string
}

// Sigma picks the findings of the Sigma rules from the diagnostics of compiling them
// (stixcel.Loaded.Compile): those positioned in a rule file, in a path named (unreadable)
// or in the mapping file, every one, errors (a rule refused) and warnings (a log source no
// mapping covers, a technique the bundles lack, a target left out), sorted; strict makes the
// warnings errors.
func Sigma(diags diag.Diagnostics, in SigmaInputs, strict bool) diag.Diagnostics {
	files := map[string]bool{}
	for _, p := range in.Paths {
		files[p] = true
	}
	for _, f := range in.Files {
		files[f.Path] = true
	}
	if in.Mapping != "" {
		files[in.Mapping] = true
	}
	var out diag.Diagnostics
	for _, d := range diags {
		if files[d.Pos.File] {
			if strict && d.Severity == diag.SeverityWarning {
				d.Severity = diag.SeverityError
			}
			out = append(out, d)
		}
	}
	out.Sort()
	return dedupe(out)
}

// WriteSigmaSummary writes what became of the rules, one line after the findings:
//
//	sigma: 2407 rules in 2407 files: 2388 planned, 18 refused (stixcel_sigma_unsupported 17, stixcel_bad_value 1), 1 with no log source mapping, 0 below the level
//
// Rules refused are counted by the codes of their errors in the rule files: a file counts
// once per code (a rule refused for two reasons counts under both).
func WriteSigmaSummary(w io.Writer, st planner.Stats, diags diag.Diagnostics, files []planner.File) error {
	ruleFiles := map[string]bool{}
	for _, f := range files {
		ruleFiles[f.Path] = true
	}
	byCode := map[string]map[string]bool{}
	for _, d := range diags {
		if d.Severity != diag.SeverityError || !ruleFiles[d.Pos.File] {
			continue
		}
		if byCode[d.Code] == nil {
			byCode[d.Code] = map[string]bool{}
		}
		byCode[d.Code][d.Pos.File] = true
	}
	reasons := make([]string, 0, len(byCode))
	for _, code := range slices.Sorted(maps.Keys(byCode)) {
		reasons = append(reasons, fmt.Sprintf("%s %d", code, len(byCode[code])))
	}
	refused := fmt.Sprintf("%d refused", st.Refused)
	if len(reasons) > 0 {
		refused += " (" + strings.Join(reasons, ", ") + ")"
	}
	text := fmt.Sprintf("sigma: %d rules in %d files: %d planned, %s, %d with no log source mapping, %d below the level",
		st.Rules, st.Files, st.Planned, refused, st.Uncovered, st.BelowLevel)
	if st.Consumed > 0 {
		text += fmt.Sprintf(", %d read by correlations only", st.Consumed)
	}
	_, err := fmt.Fprintln(w, text)
	return err
}
