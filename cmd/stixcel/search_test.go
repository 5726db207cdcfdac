package main

import (
	"testing"

	"github.com/stixcel/stixcel/internal/shared"
)

// TestSearchAndExplainSigma: search finds Sigma rules by text, technique and log source like
// analytics, each line saying it is a rule (level, title, file); explain prints a rule named
// by its title.
func TestSearchAndExplainSigma(t *testing.T) {
	rules := shared.Path(t, "sigma", "rules", "windows", "file", "file_event")
	const anydesk = "0b9ad457-2554-44c1-82c2-d56a99c42377 sigma     medium  T1219.002              Windows            Anydesk Temporary Artefact ("
	runCases(t, []cliCase{
		{name: "text", args: []string{"search", "anydesk temporary", "--sigma", rules}, code: exitOK, stdout: anydesk, stderr: "0 analytics, 1 Sigma rule\n"},
		{name: "technique and log source", args: []string{"search", "--technique", "T1219", "--log-source", "sysmon", "--sigma", rules}, code: exitOK, stdout: anydesk},
		{name: "explain by title", args: []string{"explain", "Anydesk Temporary Artefact", "--sigma", rules}, code: exitOK,
			stdout: "0b9ad457-2554-44c1-82c2-d56a99c42377  Anydesk Temporary Artefact  (Sigma rule, modified 2024-07-20)\n"},
		{name: "explain an unknown rule", args: []string{"explain", "No Such Rule", "--sigma", rules}, code: exitInput,
			stderr: `no analytic or Sigma rule (id or title) "No Such Rule" is loaded`},
	})
}
