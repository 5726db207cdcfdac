// Package attack loads MITRE ATT&CK STIX bundles and builds the ATT&CK index: every
// x-mitre-analytic with its detection strategy, the techniques that strategy detects, its log
// source references (resolved to data components) and its mutable elements.
//
// It reads the three forms ATT&CK is published in: one object per STIX 2.0 bundle (the
// mitre/cti layout, usually a directory of such files), a domain bundle of many objects, and
// the STIX 2.1 release bundle (spec_version on every object, an x-mitre-collection first).
// Parsing goes through github.com/TcM1911/stix2 with custom parsers for the x-mitre-* types.
// Each file is pre-scanned first (with gjson), so that malformed input is an error naming the
// file and object rather than a stix2 panic, and object versions are deduplicated by id
// across all files, the newest `modified` winning.
package attack

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stixcel/stixcel/diag"
)

// Analytic is one x-mitre-analytic with its context from the rest of the bundle.
type Analytic struct {
	ID          string // external id, e.g. "AN1828" (the mitre-attack external reference)
	StixID      string
	Name        string
	Description string
	Version     string // x_mitre_version
	Modified    string // RFC 3339 as written in the source, e.g. "2026-03-19T19:41:30.977Z"
	SpecVersion string // the object's spec_version, else its bundle's ("2.0" or "2.1"), else ""
	Domains     []string
	Platforms   []string
	Revoked     bool
	Deprecated  bool

	// Strategy is the detection strategy whose x_mitre_analytic_refs names this analytic,
	// nil when the loaded bundles lack it.
	Strategy *Strategy
	// StrategyFromURL is the DET id in the analytic's own mitre-attack reference URL
	// (".../detectionstrategies/DET0706#AN1828" gives "DET0706"), "" when there is none.
	StrategyFromURL string
	// Techniques are the attack-patterns the strategy detects (its `detects` relationships),
	// sorted by ID; a sub-technique carries its parent.
	Techniques      []Technique
	LogSources      []LogSourceRef   // x_mitre_log_source_references, in source order
	MutableElements []MutableElement // x_mitre_mutable_elements, in source order
	File            string           // the file the analytic came from
}

// Strategy is an x-mitre-detection-strategy.
type Strategy struct {
	ID     string // "DET0363"
	StixID string
	Name   string
}

// Technique is an attack-pattern: a technique ("T1003") or a sub-technique ("T1003.001")
// with its Parent.
type Technique struct {
	ID     string
	StixID string
	Name   string
	Parent *Technique // nil for a technique, or when the parent is not loaded
	// Tactics are the phase names of its ATT&CK kill_chain_phases ("credential-access"), in
	// source order.
	Tactics []string
}

// LogSourceRef is one entry of x_mitre_log_source_references.
type LogSourceRef struct {
	Name          string // log source, e.g. "WinEventLog:Sysmon"
	Channel       string // e.g. "EventCode=10"
	DataComponent DataComponent
}

// DataComponent is an x-mitre-data-component. When the loaded bundles lack the object, only
// StixID is set.
type DataComponent struct {
	ID     string // "DC0078"
	StixID string
	Name   string
}

// MutableElement is one entry of x_mitre_mutable_elements: a tunable of the analytic.
type MutableElement struct {
	Field       string
	Description string
}

// Index is the loaded ATT&CK content, ready for the compiler.
type Index struct {
	// Analytics are sorted by ID, then StixID. Revoked and deprecated analytics are left
	// out unless Options.IncludeRevoked.
	Analytics []*Analytic
	Stats     Stats

	byID map[string]*Analytic // by external id and by STIX id
}

// Analytic returns the analytic with the external id ("AN1828") or STIX id, or nil.
func (ix *Index) Analytic(id string) *Analytic {
	return ix.byID[id]
}

// Stats counts what loading read and what it left out, for the CLI to report on stderr.
type Stats struct {
	Files   int // files read
	Objects int // objects read, before deduplication
	// Types counts the objects of each type kept after deduplication.
	Types map[string]int
	// Skipped counts revoked or deprecated analytics left out of the index.
	Skipped int
	// Duplicates counts object versions dropped because another version with the same id
	// was newer (a later `modified`, or the same `modified` later in load order).
	Duplicates int
	// Ignored counts objects of types the index does not read (identity,
	// marking-definition, x-mitre-asset, vendor types, ...).
	Ignored int
}

// String summarises the counts on one line, e.g.
// "2 files, 4597 objects: 1739 analytics, 0 revoked or deprecated skipped, 0 duplicates dropped, 2 of other types ignored".
func (s Stats) String() string {
	return fmt.Sprintf("%d %s, %d objects: %d analytics, %d revoked or deprecated skipped, %d duplicates dropped, %d of other types ignored",
		s.Files, plural(s.Files, "file", "files"), s.Objects, s.Types[typeAnalytic], s.Skipped, s.Duplicates, s.Ignored)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Warning is a problem that does not stop loading, such as an object missing a required
// field: a warning diagnostic with the code diag.CodeBundleGap, at the bundle file, about
// one of its objects.
type Warning struct {
	diag.Diagnostic
	Object string // STIX id, "" when the warning is about the file
}

// newWarning is the warning msg about object in file.
func newWarning(file, object, msg string) Warning {
	return Warning{Diagnostic: diag.Diagnostic{Pos: diag.Pos{File: file}, Code: diag.CodeBundleGap,
		Severity: diag.SeverityWarning, Msg: msg}, Object: object}
}

// String renders "file: object id: message".
func (w Warning) String() string {
	if w.Object == "" {
		return w.Pos.File + ": " + w.Msg
	}
	return w.Pos.File + ": " + printable(w.Object) + ": " + w.Msg
}

// Error is String, so that %s and %v print a Warning as String does rather than as
// Diagnostic.Error.
func (w Warning) Error() string { return w.String() }

// MarshalJSON writes {"File", "Object", "Msg"}, the form warnings had before they were
// diagnostics (golden files pin it).
func (w Warning) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ File, Object, Msg string }{w.Pos.File, w.Object, w.Msg})
}

// LoadError is malformed input: a file that is not JSON, not a bundle or array of objects,
// or an object that is not a valid STIX object. It is an error diagnostic with the code
// diag.CodeBadBundle, at the file, and at the line (and column) at fault when known.
type LoadError struct {
	diag.Diagnostic
	Index  int    // index of the object in the file's objects, -1 when about the file
	Object string // the object's id when known
	Err    error  // the error of encoding/json or stix2 behind Msg, nil when there is none
}

// newLoadError is the error msg about the object at index of file (-1: the file itself).
func newLoadError(file string, index int, object, msg string) *LoadError {
	return &LoadError{Diagnostic: diag.Diagnostic{Pos: diag.Pos{File: file}, Code: diag.CodeBadBundle,
		Severity: diag.SeverityError, Msg: msg}, Index: index, Object: object}
}

// Error renders one line, e.g.
// `bad.json: object 3 (x-mitre-analytic--...): "type" is a number, want a string`.
func (e LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.File)
	b.WriteString(": ")
	if e.Index >= 0 {
		fmt.Fprintf(&b, "object %d", e.Index)
		if e.Object != "" {
			fmt.Fprintf(&b, " (%s)", printable(e.Object))
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the error of encoding/json or stix2 behind the message, if any.
func (e LoadError) Unwrap() error { return e.Err }

// sortAnalytics orders analytics by ID, then StixID.
func sortAnalytics(as []*Analytic) {
	sort.Slice(as, func(i, j int) bool {
		if as[i].ID != as[j].ID {
			return as[i].ID < as[j].ID
		}
		return as[i].StixID < as[j].StixID
	})
}

// maxEcho is the most bytes of a value from the bundle that a message repeats.
const maxEcho = 100

// printable renders an id from the bundle for a one-line message: as it is when it is
// short and printable, else as quoted does.
func printable(s string) string {
	if len(s) <= maxEcho && strings.IndexFunc(s, func(r rune) bool { return !strconv.IsPrint(r) || r == utf8.RuneError }) < 0 {
		return s
	}
	return quoted(s)
}

// quoted renders a value from the bundle quoted (escaping newlines and control bytes) and
// cut at maxEcho bytes, with the length of a cut value.
func quoted(s string) string {
	if len(s) <= maxEcho {
		return strconv.Quote(s)
	}
	return strconv.Quote(strings.ToValidUTF8(s[:maxEcho], "")) + fmt.Sprintf("... (%d bytes)", len(s))
}
