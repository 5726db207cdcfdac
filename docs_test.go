package stixcel_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/coverage"
	"github.com/stixcel/stixcel/internal/golden"
	"github.com/stixcel/stixcel/tester"
)

// coverageList is the file holding the generated list of the techniques the built-in pack
// covers, between the markers below.
const coverageList = "analytics/README.md"

const (
	coverageBegin = "<!-- coverage:begin -->\n"
	coverageEnd   = "<!-- coverage:end -->\n"
)

// TestPackCoverageList: the list of the techniques the built-in pack covers is what
// stixcel coverage --markdown generates, never a hand-kept list; -update rewrites it.
func TestPackCoverageList(t *testing.T) {
	l := loadEnterprise(t)
	set, diags := l.Compile("")
	require.False(t, diags.HasErrors(), "%v", diags)
	report := coverage.Build(coverage.Input{Plans: set.Plans, Tested: tester.PassedAnalytics(context.Background(), l.Index, l.AllPacks())})
	var table bytes.Buffer
	require.NoError(t, report.WriteMarkdown(&table))

	doc, err := os.ReadFile(coverageList)
	require.NoError(t, err)
	text := string(doc)
	begin, end := strings.Index(text, coverageBegin), strings.Index(text, coverageEnd)
	require.True(t, begin >= 0 && end > begin, "%s lacks the coverage markers", coverageList)
	want := text[:begin+len(coverageBegin)] + table.String() + text[end:]
	if *golden.Update {
		require.NoError(t, os.WriteFile(coverageList, []byte(want), 0o644))
		return
	}
	assert.Equal(t, want, text, "%s's coverage list is stale: go test . -run TestPackCoverageList -update", coverageList)
}

// TestDocLinks: every relative link in the repository's documentation (README.md,
// ARCHITECTURE.md, docs/, analytics/README.md) names a file that exists and, with a
// #fragment into a Markdown file, a heading of that file.
func TestDocLinks(t *testing.T) {
	docs, err := filepath.Glob("docs/*.md")
	require.NoError(t, err)
	require.NotEmpty(t, docs, "no docs/*.md")
	docs = append(docs, "README.md", "ARCHITECTURE.md", "analytics/README.md")
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		require.NoError(t, err)
		for _, broken := range brokenLinks(doc, string(text)) {
			t.Errorf("%s", broken)
		}
	}
}

// TestBrokenLinks: the link checker finds a missing file and a missing heading, and accepts
// absolute URLs, existing files and headings, and links inside code.
func TestBrokenLinks(t *testing.T) {
	text := "# Title\n\n## A `b` c\n\n" +
		"[ok](README.md) [ok](#a-b-c) [ok](docs/cli.md#bundles) [web](https://example.com/x)\n" +
		"[gone](docs/nothing.md) [no heading](#nowhere)\n" +
		"```\n[in code](docs/nothing-either.md)\n```\n" +
		"`[inline](nope.md)`\n"
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "docs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "docs", "cli.md"), []byte("## Bundles\n"), 0o644))
	doc := filepath.Join(dir, "README.md")
	require.NoError(t, os.WriteFile(doc, []byte(text), 0o644))
	assert.Equal(t, []string{
		doc + ":6: link docs/nothing.md: no such file",
		doc + ":6: link #nowhere: no heading \"nowhere\" in " + doc,
	}, brokenLinks(doc, text))
}

// TestCodeCitesDocs: the Go and YAML sources cite the contracts they implement in docs/, a
// file of the repository that exists, never the design document kept outside it.
func TestCodeCitesDocs(t *testing.T) {
	cited := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		// This file's own cases cite missing files on purpose.
		if d.IsDir() || path == "docs_test.go" || !(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".yaml")) {
			return nil
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, broken := range brokenCitations(path, string(text)) {
			t.Errorf("%s", broken)
		}
		cited += len(docCitation.FindAllString(string(text), -1))
		return nil
	})
	require.NoError(t, err)
	assert.Positive(t, cited, "no source file cites docs/")
}

// TestBrokenCitations: a citation of the outside design document and one of a docs/ file
// that does not exist are found, with their lines; one of an existing file is not.
func TestBrokenCitations(t *testing.T) {
	text := "// Alert is one detection (docs/alerts.md).\n" +
		"// Event is one normalized event (DESIGN \u00a75).\n" + // § escaped: this file cites nothing
		"// See docs/nothing.md.\n"
	assert.Equal(t, []string{
		"x.go:2: cites DESIGN \u00a75, a document outside the repository: cite docs/ instead",
		"x.go:3: cites docs/nothing.md, which does not exist",
	}, brokenCitations("x.go", text))
}

var (
	docCitation    = regexp.MustCompile(`\bdocs/[a-z0-9-]+\.md`)
	designCitation = regexp.MustCompile(`\bDESIGN(\.md)? \x{00A7}\s*[0-9]+`)
)

// brokenCitations returns, as "file:line: message", the citations in a source file of the
// design document outside the repository and of docs/ files that do not exist.
func brokenCitations(path, text string) []string {
	var broken []string
	for i, line := range strings.Split(text, "\n") {
		for _, c := range designCitation.FindAllString(line, -1) {
			broken = append(broken, fmt.Sprintf("%s:%d: cites %s, a document outside the repository: cite docs/ instead", path, i+1, c))
		}
		for _, c := range docCitation.FindAllString(line, -1) {
			if _, err := os.Stat(filepath.FromSlash(c)); err != nil {
				broken = append(broken, fmt.Sprintf("%s:%d: cites %s, which does not exist", path, i+1, c))
			}
		}
	}
	return broken
}

var (
	markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	inlineCode   = regexp.MustCompile("`[^`]*`")
)

// brokenLinks returns, as "file:line: message", the relative links of a Markdown document
// whose file does not exist or whose #fragment names no heading of the Markdown file linked.
// Links inside code blocks and code spans are not links.
func brokenLinks(doc, text string) []string {
	var broken []string
	inFence := false
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		for _, m := range markdownLink.FindAllStringSubmatch(inlineCode.ReplaceAllString(line, ""), -1) {
			if msg := checkLink(doc, m[1]); msg != "" {
				broken = append(broken, fmt.Sprintf("%s:%d: link %s: %s", doc, i+1, m[1], msg))
			}
		}
	}
	return broken
}

// checkLink says what is wrong with one link of doc, or "" when it resolves. Absolute URLs
// are not checked.
func checkLink(doc, link string) string {
	if u, err := url.Parse(link); err != nil || u.Scheme != "" {
		return ""
	}
	path, fragment, _ := strings.Cut(link, "#")
	target := doc
	if path != "" {
		target = filepath.Join(filepath.Dir(doc), filepath.FromSlash(path))
		if _, err := os.Stat(target); err != nil {
			return "no such file"
		}
	}
	if fragment == "" || !strings.HasSuffix(target, ".md") {
		return ""
	}
	text, err := os.ReadFile(target)
	if err != nil {
		return err.Error()
	}
	if !hasHeading(string(text), fragment) {
		return fmt.Sprintf("no heading %q in %s", fragment, target)
	}
	return ""
}

// hasHeading reports whether a Markdown text has a heading whose anchor, as GitHub makes
// it (lower case, punctuation dropped, spaces as hyphens), is anchor.
func hasHeading(text, anchor string) bool {
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		if headingAnchor(strings.TrimLeft(line, "#")) == anchor {
			return true
		}
	}
	return false
}

// headingAnchor is GitHub's anchor for a heading's text.
func headingAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ' || r == '-':
			b.WriteRune('-')
		case r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}
