// Package alertfmt writes what the engine emits (runtime.Alert and runtime.Hunt) in the
// formats of `stixcel run --format`, and how much it emitted (RunSummary, the run's summary
// on stderr): that is its one job. Buffered writes a run's outputs as they come, each alert
// flushed at once. It reads only package runtime's output types and statistics (and the
// pump's count of lines), never plans or STIX bundles.
//
//   - json: one JSON object per line (docs/alerts.md), the default.
//   - text: one aligned block per alert for people (a line per hunt record), coloured with
//     ANSI escapes only when Options.Color is set (the CLI sets it for a terminal).
//   - stix: STIX 2.1. Each alert is a `sighting` whose sighting_of_ref is the analytic's STIX
//     id, with first_seen, last_seen, count 1 (one alert is one sighting of the analytic) and
//     the alert itself (id, group, techniques, channels with their evidence, params) as a
//     property extension; an `identity` names the producer (stixcel) and an
//     `extension-definition` the extension. Written as one bundle at Close, or, with
//     Options.Stream, one object per line as alerts come (the identity and extension
//     definition first), so that a consumer of a live stream sees each alert at once.
//     Hunt records have no STIX form and are refused.
//   - ocsf: one OCSF 1.8.0 Detection Finding per alert, one JSON object per line (ocsf.go).
//
// Every format is deterministic: the same outputs give the same bytes.
package alertfmt

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/stixcel/stixcel/runtime"
)

// Format names an output format.
type Format string

// The formats.
const (
	JSON Format = "json"
	Text Format = "text"
	STIX Format = "stix"
)

// Formats lists the formats, the default first.
func Formats() []Format { return []Format{JSON, Text, STIX, OCSF} }

// Parse reads a format name.
func Parse(name string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == name {
			return f, nil
		}
	}
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("unknown format %q (want %s)", name, strings.Join(names, ", "))
}

// Options tune a Writer.
type Options struct {
	// Color adds ANSI colour to text; leave it off unless w is a terminal.
	Color bool
	// Stream writes STIX as one object per line as alerts come, not one bundle at Close.
	Stream bool
}

// Writer writes outputs in one format.
type Writer interface {
	// Write writes one output (or, for a STIX bundle, keeps it for Close).
	Write(o runtime.Output) error
	// Close writes what is kept (the STIX bundle); it writes nothing else.
	Close() error
}

// New returns a Writer of format f on w.
func New(f Format, w io.Writer, opts Options) (Writer, error) {
	switch f {
	case JSON, "":
		return &jsonWriter{enc: newEncoder(w)}, nil
	case Text:
		return &textWriter{w: w, color: opts.Color}, nil
	case STIX:
		return newSTIXWriter(w, opts.Stream), nil
	case OCSF:
		return ocsfWriterOn(w), nil
	}
	return nil, fmt.Errorf("unknown format %q", f)
}

// newEncoder is a JSON encoder that leaves <, > and & as they are.
func newEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// jsonWriter writes one JSON object per line.
type jsonWriter struct{ enc *json.Encoder }

func (j *jsonWriter) Write(o runtime.Output) error {
	if err := j.enc.Encode(o); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

func (j *jsonWriter) Close() error { return nil }
