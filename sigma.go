package stixcel

import (
	"fmt"
	"io"
	"time"

	"github.com/stixcel/stixcel/compiler/sigma/mapping"
	"github.com/stixcel/stixcel/compiler/sigma/planner"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/plan"
)

// SigmaOptions say how Sigma rules are planned (the CLI's --sigma-… flags).
type SigmaOptions struct {
	// Mapping is a log source mapping file merged over the built-in one; "" for none.
	Mapping string
	// Suppress groups a rule's matches per host within this duration into one alert; 0 is
	// one alert per match. The CLI's default is planner.DefaultSuppress.
	Suppress time.Duration
	// MinLevel leaves out rules below this level; "" keeps them all.
	MinLevel string
}

// SigmaLoaded is what Inputs.Load read of the Sigma rules, and after Compile what became of
// them.
type SigmaLoaded struct {
	Files   []planner.File
	Mapping *mapping.Mapping
	Options SigmaOptions
	// Stats count what Compile made of the rules; zero before.
	Stats planner.Stats

	diags    diag.Diagnostics // of reading the files and the mapping
	warnings int              // warnings in rule files SigmaShown left out
	paths    map[string]bool  // the rule files, whose errors refuse a rule, not the inputs
}

// loadSigma reads the rule files and the mapping; nil when Sigma names none.
func (in Inputs) loadSigma() *SigmaLoaded {
	if len(in.Sigma) == 0 {
		return nil
	}
	s := &SigmaLoaded{Options: in.SigmaOptions, paths: map[string]bool{}}
	s.Files, s.diags = planner.ReadPaths(in.Sigma)
	for _, f := range s.Files {
		s.paths[f.Path] = true
	}
	if in.SigmaOptions.Mapping != "" {
		m, ds := mapping.Load(in.SigmaOptions.Mapping)
		s.diags = append(s.diags, ds...)
		s.Mapping = m
	}
	return s
}

// plan adds the rules' plans to set, after its analytics, which they link to; the
// diagnostics are those of reading and planning.
func (s *SigmaLoaded) plan(set *plan.Set, warnUnknown bool) diag.Diagnostics {
	res := planner.Compile(s.Files, planner.Options{
		Mapping: s.Mapping, Suppress: s.Options.Suppress, MinLevel: s.Options.MinLevel,
		Attack: set.Plans, WarnUnknownTechniques: warnUnknown,
	})
	set.Plans = append(set.Plans, res.Plans...)
	s.Stats = res.Stats
	return append(append(diag.Diagnostics{}, s.diags...), res.Diagnostics...)
}

// Blocking are the diagnostics that fail the inputs: all of them, except those in Sigma rule
// files, which refuse their rule (counted in the Sigma stats) while the other rules and the
// analytics run; strict makes those block too.
func (l *Loaded) Blocking(diags diag.Diagnostics, strict bool) diag.Diagnostics {
	if l == nil || l.Sigma == nil || strict {
		return diags
	}
	var out diag.Diagnostics
	for _, d := range diags {
		if !l.Sigma.paths[d.Pos.File] {
			out = append(out, d)
		}
	}
	return out
}

// WriteSigmaSummary writes what became of the Sigma rules, one line; nothing without rules.
func (l *Loaded) WriteSigmaSummary(w io.Writer) error {
	if l == nil || l.Sigma == nil {
		return nil
	}
	st := l.Sigma.Stats
	text := fmt.Sprintf("sigma: %d rules in %d files: %d planned, %d refused, %d with no log source mapping, %d below the level",
		st.Rules, st.Files, st.Planned, st.Refused, st.Uncovered, st.BelowLevel)
	if st.Consumed > 0 {
		text += fmt.Sprintf(", %d read by correlations only", st.Consumed)
	}
	if n := l.Sigma.warnings; n > 0 {
		text += fmt.Sprintf(" (%d warnings: stixcel lint --sigma lists them)", n)
	}
	_, err := fmt.Fprintln(w, text)
	return err
}

// SigmaShown are the diagnostics a command that compiles prints: all of them, except the
// warnings in Sigma rule files, which are summed up by WriteSigmaSummary (`stixcel lint
// --sigma` lists them): a directory of SigmaHQ holds a thousand rules for other products.
func (l *Loaded) SigmaShown(diags diag.Diagnostics) diag.Diagnostics {
	if l == nil || l.Sigma == nil {
		return diags
	}
	var out diag.Diagnostics
	for _, d := range diags {
		if d.Severity == diag.SeverityWarning && l.Sigma.paths[d.Pos.File] {
			l.Sigma.warnings++
			continue
		}
		out = append(out, d)
	}
	return out
}
