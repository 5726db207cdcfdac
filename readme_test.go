package stixcel_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/coverage"
	"github.com/stixcel/stixcel/internal/golden"
	"github.com/stixcel/stixcel/tester"
)

const (
	coverageBegin = "<!-- coverage:begin -->\n"
	coverageEnd   = "<!-- coverage:end -->\n"
)

// TestReadmeCoverage: the README's list of the techniques the built-in pack covers is what
// stixcel coverage --markdown generates, never a hand-kept list; -update rewrites it.
func TestReadmeCoverage(t *testing.T) {
	l := loadEnterprise(t)
	set, diags := l.Compile("")
	require.False(t, diags.HasErrors(), "%v", diags)
	report := coverage.Build(coverage.Input{Plans: set.Plans, Tested: tester.PassedAnalytics(context.Background(), l.Index, l.AllPacks())})
	var table bytes.Buffer
	require.NoError(t, report.WriteMarkdown(&table))

	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	text := string(readme)
	begin, end := strings.Index(text, coverageBegin), strings.Index(text, coverageEnd)
	require.True(t, begin >= 0 && end > begin, "README lacks the coverage markers")
	want := text[:begin+len(coverageBegin)] + table.String() + text[end:]
	if *golden.Update {
		require.NoError(t, os.WriteFile("README.md", []byte(want), 0o644))
		return
	}
	assert.Equal(t, want, text, "README's coverage list is stale: go test . -run TestReadmeCoverage -update")
}
