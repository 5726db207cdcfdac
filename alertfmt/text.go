package alertfmt

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stixcel/stixcel/internal/termsafe"
	"github.com/stixcel/stixcel/runtime"
)

// textWriter writes one aligned block per alert and one line per hunt record.
type textWriter struct {
	w     io.Writer
	color bool
	b     strings.Builder
}

// labelWidth is the width of the label column of an alert block.
const labelWidth = 12

// ANSI styles.
const (
	bold = "1"
	dim  = "2"
	cyan = "36"
	red  = "31"
)

func (t *textWriter) Write(o runtime.Output) error {
	t.b.Reset()
	switch v := o.(type) {
	case *runtime.Alert:
		t.alert(v)
	case *runtime.Hunt:
		t.hunt(v)
	default:
		return fmt.Errorf("write text: unknown output %T", o)
	}
	if _, err := io.WriteString(t.w, t.b.String()); err != nil {
		return fmt.Errorf("write text: %w", err)
	}
	return nil
}

func (t *textWriter) Close() error { return nil }

// paint wraps s in an ANSI style when colour is on.
func (t *textWriter) paint(style, s string) string {
	if !t.color || s == "" {
		return s
	}
	return "\x1b[" + style + "m" + s + "\x1b[0m"
}

// row writes one labelled line of an alert block; text is what events, bundles and packs
// hold, written with its control characters and bidi controls escaped (termsafe).
func (t *textWriter) row(label, text string) {
	fmt.Fprintf(&t.b, "  %s%s%s\n", t.paint(cyan, label), strings.Repeat(" ", max(1, labelWidth-len(label))), termsafe.Line(text))
}

// more writes a continuation line under the text column, escaped as row's.
func (t *textWriter) more(text string) {
	t.morePainted(termsafe.Line(text))
}

// morePainted writes a continuation line whose text is escaped and painted already.
func (t *textWriter) morePainted(text string) {
	fmt.Fprintf(&t.b, "  %s%s\n", strings.Repeat(" ", labelWidth), text)
}

func (t *textWriter) alert(a *runtime.Alert) {
	fmt.Fprintf(&t.b, "%s  %s\n", t.paint(bold+";"+red, "ALERT "+termsafe.Line(a.Analytic)), t.paint(bold, termsafe.Line(a.Title())))
	t.row("id", a.ID)
	if a.Severity != "" {
		t.row("severity", a.Severity)
	}
	if a.Rule != nil {
		t.row("rule", joinNonEmpty("  ", a.Rule.Path, a.Rule.Status))
	}
	if a.Rule == nil {
		t.row("strategy", joinNonEmpty("  ", a.DetectionStrategy.ID, a.DetectionStrategy.Name))
	}
	for i, an := range a.Analytics {
		label := ""
		if i == 0 {
			label = "analytics"
		}
		t.row(label, joinNonEmpty("  ", an.ID, an.DetectionStrategy, an.DetectionStrategyName))
	}
	for i, tq := range a.Techniques {
		label := ""
		if i == 0 {
			label = "technique"
		}
		text := joinNonEmpty("  ", tq.ID, tq.Name)
		if len(tq.Tactics) > 0 {
			text += "  [" + strings.Join(tq.Tactics, ", ") + "]"
		}
		t.row(label, text)
	}
	t.row("platforms", strings.Join(a.Platforms, ", "))
	t.row("group", pairs(a.Group))
	t.row("seen", fmt.Sprintf("%s .. %s (%s)", stamp(a.FirstSeen), stamp(a.LastSeen), a.LastSeen.Sub(a.FirstSeen)))
	for _, c := range a.Channels {
		t.channel(c)
	}
	names := slices.Sorted(maps.Keys(a.Params))
	for i, name := range names {
		label := ""
		if i == 0 {
			label = "params"
		}
		t.row(label, name+" = "+jsonText(a.Params[name]))
	}
	t.b.WriteString("\n")
}

// channel writes one channel of an alert: its source, its text, and its evidence events.
func (t *textWriter) channel(c runtime.AlertChannel) {
	dc := joinNonEmpty(" ", c.DataComponent.Name, parens(c.DataComponent.ID))
	t.row(c.ID, joinNonEmpty(" · ", c.LogSource, dc, fmt.Sprintf("%d %s", c.Count, plural(c.Count, "match", "matches"))))
	if c.Channel != "" {
		t.morePainted(t.paint(dim, "channel: "+termsafe.Line(oneLine(c.Channel))))
	}
	for _, e := range c.Events {
		t.event(e)
	}
}

// inlineWidth is the most characters of fields shown on an event's own line; longer ones
// go one field per line.
const inlineWidth = 100

// event writes one evidence event: its time and place, then its fields, on the same line
// when they are short.
func (t *textWriter) event(e *runtime.Evidence) {
	head := fmt.Sprintf("%s  %s:%d", stamp(e.Time), e.Source, e.Line)
	inline := make([]string, len(e.Fields))
	size := 0
	for i, f := range e.Fields {
		inline[i] = f.Name + "=" + fieldText(f)
		size += len(inline[i]) + 1
	}
	if size <= inlineWidth {
		t.more(strings.TrimRight(head+"  "+strings.Join(inline, " "), " "))
		return
	}
	t.more(head)
	names := make([]string, len(e.Fields))
	width := 0
	for i, f := range e.Fields {
		names[i] = termsafe.Line(f.Name)
		width = max(width, utf8.RuneCountInString(names[i]))
	}
	for i, f := range e.Fields {
		t.more("  " + names[i] + strings.Repeat(" ", width-utf8.RuneCountInString(names[i])) + "  " + fieldText(f))
	}
}

// hunt writes a hunt record on one line.
func (t *textWriter) hunt(h *runtime.Hunt) {
	parts := []string{stamp(h.Time), h.Analytic, h.Channel, fmt.Sprintf("%s:%d", h.Source, h.Line)}
	if len(h.Group) > 0 {
		parts = append(parts, pairs(h.Group))
	}
	for _, f := range h.Fields {
		parts = append(parts, f.Name+"="+fieldText(f))
	}
	t.b.WriteString(t.paint(bold, "HUNT") + "  " + termsafe.Line(strings.Join(parts, "  ")) + "\n")
}

// fieldText is a field's value for people: a plain string as it is, other strings quoted,
// other values as JSON; a cut value says its length.
func fieldText(f runtime.EvidenceField) string {
	text := valueText(f.Value)
	if f.Cut > 0 {
		text += fmt.Sprintf("… (%d bytes)", f.Cut)
	}
	return text
}

// valueText shows a string unquoted when it is printable on one line, else quoted.
func valueText(v any) string {
	s, ok := v.(string)
	if !ok {
		return jsonText(v)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	if s == "" || strings.TrimSpace(s) != s {
		return strconv.Quote(s)
	}
	return s
}

// pairs writes a map as "k=v k=v", keys sorted.
func pairs(m map[string]any) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+valueText(m[k]))
	}
	return strings.Join(out, " ")
}

func jsonText(v any) string {
	var b strings.Builder
	enc := newEncoder(&b)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// stamp writes an event time as RFC 3339 in UTC with the precision it has.
func stamp(at time.Time) string { return at.UTC().Format(time.RFC3339Nano) }

func joinNonEmpty(sep string, parts ...string) string {
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), sep)
}

func parens(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// oneLine folds a text's line breaks into spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
