package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Severity of a diagnostic.
type Severity string

const (
	SeverityError   Severity = "error"   // the input cannot be used as it is
	SeverityWarning Severity = "warning" // the input is used, but likely not as meant
	SeverityInfo    Severity = "info"    // a note that needs no action
)

// Pos is a position in an input file; Line and Col are 1-based, 0 when unknown.
type Pos struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// String renders file:line:col, dropping the parts that are unknown.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Diagnostic is one finding of compile, lint or test, with a position.
type Diagnostic struct {
	Pos      Pos      `json:"pos"`
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Msg      string   `json:"message"`
}

// Error renders "file:line:col: severity: message".
func (d Diagnostic) Error() string {
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Msg)
}

// MaxDiagnostics caps how many diagnostics a list keeps, as cel-go does.
const MaxDiagnostics = 100

// Diagnostics is a list of findings.
type Diagnostics []Diagnostic

// Errorf appends an error diagnostic.
func (ds *Diagnostics) Errorf(pos Pos, code, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Pos: pos, Code: code, Severity: SeverityError, Msg: fmt.Sprintf(format, args...)})
}

// Warnf appends a warning diagnostic.
func (ds *Diagnostics) Warnf(pos Pos, code, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Pos: pos, Code: code, Severity: SeverityWarning, Msg: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// ErrorCount is the number of diagnostics that are errors (the rest are warnings).
func (ds Diagnostics) ErrorCount() int {
	n := 0
	for _, d := range ds {
		if d.Severity == SeverityError {
			n++
		}
	}
	return n
}

// Sort orders diagnostics by file, line, column and message.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		return a.Msg < b.Msg
	})
}

// Err returns nil when there are no errors, else the diagnostics as an error
// (go/scanner ErrorList.Err style).
func (ds Diagnostics) Err() error {
	if !ds.HasErrors() {
		return nil
	}
	return ds
}

// Error joins the diagnostics, one per line, at most MaxDiagnostics.
func (ds Diagnostics) Error() string {
	var b strings.Builder
	for i, d := range ds {
		if i == MaxDiagnostics {
			fmt.Fprintf(&b, "... and %d more\n", len(ds)-i)
			break
		}
		b.WriteString(d.Error())
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}
