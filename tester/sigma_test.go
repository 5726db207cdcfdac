package tester_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/sigma/planner"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/tester"
)

// sigmaHQRuleDirs are the SigmaHQ rule directories whose rules name regression tests.
var sigmaHQRuleDirs = []string{"rules", "rules-emerging-threats", "rules-threat-hunting"}

// regressionRuleFiles are the rule files of the shared SigmaHQ snapshot that name a
// regression test, read as --sigma reads them.
func regressionRuleFiles(t *testing.T) []planner.File {
	root := shared.Path(t, "sigma")
	var paths []string
	for _, dir := range sigmaHQRuleDirs {
		paths = append(paths, filepath.Join(root, dir))
	}
	files, diags := planner.ReadPaths(paths)
	require.Empty(t, diags)
	withTests := tester.RegressionInputs(files)
	var named int
	for _, f := range files {
		if bytes.Contains(f.Data, []byte("\n"+tester.RegressionKey+":")) {
			named++
		}
	}
	require.Equal(t, named, len(withTests), "every rule file naming a regression test, and no other (SigmaHQ's directories hold no filter)")
	return withTests
}

// sigmaRules plans files as `stixcel test --sigma` does (grouping per host, which the
// regression runner takes off: one alert per matching event).
func sigmaRules(files []planner.File) tester.SigmaRules {
	res := planner.Compile(files, planner.Options{Suppress: planner.DefaultSuppress})
	return tester.SigmaRules{Files: files, Plans: res.Plans, Diagnostics: res.Diagnostics}
}

// TestSigmaHQRegressionTests: SigmaHQ's own regression tests (rule → info.yml → the events
// beside the .evtx, match_count) pass through the runtime, each a JUnit test case named by
// the rule's title and the test's name.
func TestSigmaHQRegressionTests(t *testing.T) {
	files := regressionRuleFiles(t)
	var text, junit bytes.Buffer
	sum, err := tester.Report(tester.NewRunner(nil, tester.Options{}).RunSigma(context.Background(), sigmaRules(files)),
		&tester.Pretty{Output: &text}, &tester.JUnit{Output: &junit, Name: "stixcel test"})
	require.NoError(t, err)
	t.Logf("%d rule files: %+v\n%s", len(files), sum, text.String())
	assert.GreaterOrEqual(t, sum.Passed, 190)
	assert.Zero(t, sum.Errored, "every test's files are found")
	// The failures are rules the planner refuses (the case says why), none a wrong count.
	for _, block := range strings.Split(text.String(), ": FAIL ")[1:] {
		assert.Contains(t, block, "the rule was not planned:")
	}
	assert.Contains(t, text.String(), "PASS: ")

	var doc struct {
		Suites []struct {
			File  string `xml:"file,attr"`
			Cases []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(junit.Bytes(), &doc), "the JUnit XML parses")
	cases := 0
	for _, s := range doc.Suites {
		assert.True(t, strings.HasSuffix(s.File, ".yml"), "a suite per rule file: %s", s.File)
		for _, c := range s.Cases {
			cases++
			assert.NotEmpty(t, c.Classname, "the rule's title")
			assert.NotEmpty(t, c.Name, "the test's name")
		}
	}
	assert.Equal(t, sum.Total, cases)
}
