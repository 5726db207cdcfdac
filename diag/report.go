package diag

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/owenrumney/go-sarif/v3/pkg/report"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/stixcel/stixcel/internal/termsafe"
)

// ReadFile returns a file's contents for caret snippets; nil or an error means no snippet.
type ReadFile func(name string) ([]byte, error)

// WriteText prints each diagnostic as "file:line:col: severity: message", followed by the
// source line and a caret under the column when the file can be read (go/scanner and
// cel-go style). At most MaxDiagnostics are printed. Control characters and bidi controls
// in messages and source lines (from bundles and packs) are written as visible escapes
// (internal/termsafe), the caret still under its column.
func WriteText(w io.Writer, diags Diagnostics, read ReadFile) error {
	bw := bufio.NewWriter(w)
	files := map[string][]string{}
	for i, d := range diags {
		if i == MaxDiagnostics {
			fmt.Fprintf(bw, "... and %d more\n", len(diags)-i)
			break
		}
		fmt.Fprintln(bw, termsafe.Line(d.Error()))
		if line, ok := sourceLine(files, read, d.Pos); ok {
			fmt.Fprintf(bw, "    %s\n    %s^\n", termsafe.Text(line), caretPad(line, d.Pos.Col))
		}
	}
	return bw.Flush()
}

func sourceLine(cache map[string][]string, read ReadFile, pos Pos) (string, bool) {
	if read == nil || pos.Line < 1 || pos.Col < 1 {
		return "", false
	}
	lines, ok := cache[pos.File]
	if !ok {
		data, err := read(pos.File)
		if err == nil {
			lines = strings.Split(string(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))), "\n")
		}
		cache[pos.File] = lines
	}
	if pos.Line > len(lines) {
		return "", false
	}
	return lines[pos.Line-1], true
}

// caretPad is the whitespace before a caret at 1-based column col (in runes), keeping tabs
// so the caret lines up under the source line as termsafe.Text prints it (an escaped
// character takes the width of its escape).
func caretPad(line string, col int) string {
	var b strings.Builder
	for i, r := range line {
		if utf8.RuneCountInString(line[:i]) >= col-1 {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
			continue
		}
		end := i + max(1, utf8.RuneLen(r))
		if r == utf8.RuneError {
			end = i + 1
		}
		b.WriteString(strings.Repeat(" ", utf8.RuneCountInString(termsafe.Text(line[i:end]))))
	}
	return b.String()
}

// WriteJSON writes the diagnostics as a JSON array.
func WriteJSON(w io.Writer, diags Diagnostics) error {
	if diags == nil {
		diags = Diagnostics{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(diags)
}

// WriteSARIF writes a SARIF 2.1.0 log with one result per diagnostic (rule id = the
// diagnostic code), for code-scanning annotations in CI.
func WriteSARIF(w io.Writer, diags Diagnostics, version string) error {
	rep := report.NewV210Report()
	run := sarif.NewRunWithInformationURI("stixcel", "https://github.com/stixcel/stixcel")
	run.Tool.Driver.WithVersion(version)
	rules := map[string]bool{}
	for _, d := range diags {
		if !rules[d.Code] {
			run.AddRule(d.Code).WithDescription(ruleDescription(d.Code))
			rules[d.Code] = true
		}
		region := sarif.NewRegion().WithStartLine(max(d.Pos.Line, 1))
		if d.Pos.Col > 0 {
			region.WithStartColumn(d.Pos.Col)
		}
		run.AddDistinctArtifact(d.Pos.File)
		run.CreateResultForRule(d.Code).
			WithLevel(sarifLevel(d.Severity)).
			WithMessage(sarif.NewTextMessage(d.Msg)).
			AddLocation(sarif.NewLocationWithPhysicalLocation(
				sarif.NewPhysicalLocation().
					WithArtifactLocation(sarif.NewSimpleArtifactLocation(d.Pos.File)).
					WithRegion(region)))
	}
	rep.AddRun(run)
	return rep.PrettyWrite(w)
}

func sarifLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return "note"
}

func ruleDescription(code string) string {
	return strings.ReplaceAll(strings.TrimPrefix(code, "stixcel_"), "_", " ")
}
