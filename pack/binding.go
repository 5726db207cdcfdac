package pack

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/plan"
)

// Binding is one pack file: the logic a pack supplies for one analytic (docs/packs.md).
// String fields left out of the file have an empty Value and a zero Pos.
type Binding struct {
	File       string // the path the binding was read from, as given
	Analytic   String // ATT&CK external id (AN1828) or STIX id; required
	WrittenFor String // x_mitre_version the binding was written against
	// Fingerprint is the digest of the analytic's channels and mutable elements the binding
	// was written against (written_for's long form), "" in the short form.
	Fingerprint String
	// WrittenChannels are the channels as they were when the binding was written (written_for's
	// long form), so that drift can be shown channel by channel.
	WrittenChannels []*WrittenChannel
	Techniques      []String // techniques for bundles that lack the detection strategy
	GroupBy         []String // event fields keying correlation state
	Window          String   // a parameter name or a literal duration
	Params          []*ParamSpec
	Channels        []*ChannelBinding
	Condition       String // CEL over the channels of one group's window
	Tests           []*TestCase
	// Level is the severity of the plan's alerts (one of plan.Levels); "" for none.
	Level String
	// References are links an alert's reader may follow.
	References []String
}

// ParamSpec is a binding's type and default for one parameter, overriding inference.
type ParamSpec struct {
	Name       String
	Type       String   // a celenv type such as "map(string, list(int))"; empty keeps the inferred type
	Default    any      // decoded as by ParseBinding's rules; valid only when HasDefault
	DefaultPos diag.Pos // where the default value starts
	HasDefault bool     // whether the spec has a default key (its value may be null)
}

// ChannelBinding is the logic bound to one channel: cN is the analytic's N-th log source
// reference.
type ChannelBinding struct {
	ID       String   // c1, c2, ...: syntax checked, range left to the compiler
	When     String   // CEL predicate over event and params; empty when only SeriesBy is given
	SeriesBy []String // event fields keying the channel's recurrence series
	// LogSource pins the channel to a log source: the binding applies only while the
	// analytic's channel at this position has it.
	LogSource String
}

// WrittenChannel is one channel as written_for records it: its log source and text when the
// binding was written.
type WrittenChannel struct {
	ID        String
	LogSource String
	Channel   String
}

// TestCase is one unit test of a binding.
type TestCase struct {
	Name       String
	EventsFile String        // events as a JSONL path relative to the binding file; see Binding.EventsPath
	Inline     []InlineEvent // events written inline instead
	Source     String        // source profile mapping raw events; empty when events are normalized
	Params     []*Setting    // per-test parameter overrides, in file order
	Expect     []Expectation
	// ExpectSilent is true when expect is [] (the test passes only if nothing alerts).
	ExpectSilent bool
	// Todo marks a case not filled in yet (stixcel new writes two), saying what is to do: it
	// is reported as TODO and not run.
	Todo String
	Pos  diag.Pos // the test's first key
}

// InlineEvent is one event written in a test's events list.
type InlineEvent struct {
	Fields map[string]any
	JSON   []byte // Fields re-encoded as one JSON object (keys sorted)
	Pos    diag.Pos
}

// Expectation is one alert a test expects.
type Expectation struct {
	Analytic String         // defaults to the binding's analytic when left out
	Group    map[string]any // the alert's group_by values; nil matches any group
	Pos      diag.Pos
}

// EventsPath returns the path of a test's events file: EventsFile joined to the directory of
// the binding file, slash-separated as in io/fs.
func (b *Binding) EventsPath(tc *TestCase) string {
	return path.Join(path.Dir(filepath.ToSlash(b.File)), tc.EventsFile.Value)
}

var channelID = regexp.MustCompile(`^c[1-9][0-9]*$`)

// ParseBinding decodes one binding file; file is only used in positions. Unknown keys, values
// of the wrong shape and YAML errors are reported with their positions; decoding continues
// past shape errors so that one run reports them all. The Binding is nil only when the file
// is not YAML, is empty or is not a mapping; otherwise it holds everything that decoded.
//
// Values without a declared Go type (defaults, test params, inline events, expected groups)
// keep YAML's meaning: 10m is the string "10m", 443 an int64 (uint64 above its range), 1.5 a
// float64, true a bool, ~ nil; lists are []any and mappings map[string]any.
func ParseBinding(file string, data []byte) (*Binding, diag.Diagnostics) {
	d := newDecoder(file, data)
	body := d.Document(data)
	if body == nil {
		if !d.Diags.HasErrors() {
			d.Diags.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, diag.CodeBadShape,
				"empty binding: want a mapping starting with analytic:")
		}
		return nil, d.Diags
	}
	b := &Binding{File: file}
	if _, ok := d.Fields(body, "binding", d.bindingFields(b), "analytic"); !ok {
		d.Diags.Sort()
		return nil, d.Diags
	}
	d.Diags.Sort()
	for _, tc := range b.Tests {
		for i := range tc.Expect {
			if tc.Expect[i].Analytic.Value == "" {
				tc.Expect[i].Analytic = b.Analytic
			}
		}
	}
	return b, d.Diags
}

func (d *decoder) bindingFields(b *Binding) []field {
	return []field{
		{Name: "analytic", Decode: func(e entry) { b.Analytic, _ = d.analyticID(e.Value, "analytic") }},
		{Name: "written_for", Decode: func(e entry) { d.writtenFor(e.Value, b) }},
		{Name: "techniques", Decode: func(e entry) { b.Techniques = d.StrList(e.Value, "techniques") }},
		{Name: "group_by", Decode: func(e entry) { b.GroupBy = d.StrList(e.Value, "group_by") }},
		{Name: "window", Decode: func(e entry) { b.Window, _ = d.NonEmpty(e.Value, "window") }},
		{Name: "params", Decode: func(e entry) { b.Params = d.paramSpecs(e.Value) }},
		{Name: "channels", Decode: func(e entry) { b.Channels = d.channels(e.Value) }},
		{Name: "condition", Decode: func(e entry) { b.Condition, _ = d.NonEmpty(e.Value, "condition") }},
		{Name: "tests", Decode: func(e entry) { b.Tests = d.tests(e.Value) }},
		{Name: "level", Decode: func(e entry) { b.Level = d.level(e.Value) }},
		{Name: "references", Decode: func(e entry) { b.References = d.StrList(e.Value, "references") }},
	}
}

// analyticID reads an analytic id: one non-empty word.
func (d *decoder) analyticID(n ast.Node, what string) (String, bool) {
	s, ok := d.NonEmpty(n, what)
	if ok && strings.ContainsAny(s.Value, " \t\n\r") {
		d.Diags.Errorf(s.Pos, diag.CodeBadValue, "%s %q: want an ATT&CK id such as AN1828 or a STIX id", what, s.Value)
		return s, false
	}
	return s, ok
}

func (d *decoder) paramSpecs(n ast.Node) []*ParamSpec {
	if isNull(n) {
		return nil
	}
	entries, _ := d.Map(n, "params")
	var out []*ParamSpec
	for _, e := range entries {
		what := "params." + e.Key.Value
		spec := &ParamSpec{Name: e.Key}
		_, ok := d.Fields(e.Value, what, []field{
			{Name: "type", Decode: func(f entry) { spec.Type, _ = d.NonEmpty(f.Value, what+".type") }},
			{Name: "default", Decode: func(f entry) {
				spec.HasDefault = true
				spec.DefaultPos = d.ValuePos(f)
				spec.Default, _ = d.Value(f.Value, what+".default", 0)
			}},
		})
		if ok {
			out = append(out, spec)
		}
	}
	return out
}

func (d *decoder) channels(n ast.Node) []*ChannelBinding {
	if isNull(n) {
		return nil
	}
	entries, _ := d.Map(n, "channels")
	var out []*ChannelBinding
	for _, e := range entries {
		if !channelID.MatchString(e.Key.Value) {
			d.Diags.Errorf(e.Key.Pos, diag.CodeBadValue,
				"channel id %q: want c1, c2, ... (the analytic's log source references, in order)", e.Key.Value)
			continue
		}
		if cb, ok := d.channel(e); ok {
			out = append(out, cb)
		}
	}
	return out
}

// channel reads a channel's short form (a CEL string) or long form (when, series_by).
func (d *decoder) channel(e entry) (*ChannelBinding, bool) {
	what := "channel " + e.Key.Value
	cb := &ChannelBinding{ID: e.Key}
	switch d.Unwrap(e.Value, what).(type) {
	case nil:
		return nil, false
	case *ast.MappingNode, *ast.MappingValueNode:
		_, ok := d.Fields(e.Value, what, []field{
			{Name: "when", Decode: func(f entry) { cb.When, _ = d.NonEmpty(f.Value, what+" when") }},
			{Name: "series_by", Decode: func(f entry) { cb.SeriesBy = d.StrList(f.Value, what+" series_by") }},
			{Name: "log_source", Decode: func(f entry) { cb.LogSource, _ = d.NonEmpty(f.Value, what+" log_source") }},
		})
		return cb, ok
	case *ast.SequenceNode:
		d.Errorf(e.Value, diag.CodeBadShape, "%s must be a CEL expression or a mapping with when, series_by and log_source, not a list", what)
		return nil, false
	}
	var ok bool
	cb.When, ok = d.NonEmpty(e.Value, what)
	return cb, ok
}

// writtenFor reads written_for: a version ("1.0"), or the long form stixcel new writes,
//
//	written_for:
//	  version: "1.0"
//	  fingerprint: 5f0c2d6e9a41b7c3
//	  channels:
//	    c1: {log_source: WinEventLog:Sysmon, channel: EventCode=10}
func (d *decoder) writtenFor(n ast.Node, b *Binding) {
	switch d.Unwrap(n, "written_for").(type) {
	case nil:
		return
	case *ast.MappingNode, *ast.MappingValueNode:
	default:
		b.WrittenFor, _ = d.NonEmpty(n, "written_for")
		return
	}
	d.Fields(n, "written_for", []field{
		{Name: "version", Decode: func(e entry) { b.WrittenFor, _ = d.NonEmpty(e.Value, "written_for version") }},
		{Name: "fingerprint", Decode: func(e entry) { b.Fingerprint, _ = d.NonEmpty(e.Value, "written_for fingerprint") }},
		{Name: "channels", Decode: func(e entry) { b.WrittenChannels = d.writtenChannels(e.Value) }},
	}, "version", "fingerprint")
}

func (d *decoder) writtenChannels(n ast.Node) []*WrittenChannel {
	entries, _ := d.Map(n, "written_for channels")
	var out []*WrittenChannel
	for _, e := range entries {
		if !channelID.MatchString(e.Key.Value) {
			d.Diags.Errorf(e.Key.Pos, diag.CodeBadValue, "written_for channel id %q: want c1, c2, ...", e.Key.Value)
			continue
		}
		wc := &WrittenChannel{ID: e.Key}
		what := "written_for channel " + e.Key.Value
		if _, ok := d.Fields(e.Value, what, []field{
			{Name: "log_source", Decode: func(f entry) { wc.LogSource, _ = d.NonEmpty(f.Value, what+" log_source") }},
			{Name: "channel", Decode: func(f entry) { wc.Channel, _ = d.Str(f.Value, what+" channel") }},
		}, "log_source"); ok {
			out = append(out, wc)
		}
	}
	return out
}

func (d *decoder) tests(n ast.Node) []*TestCase {
	items, _ := d.List(n, "tests")
	var out []*TestCase
	names := map[string]diag.Pos{}
	for i, item := range items {
		tc, ok := d.testCase(item, fmt.Sprintf("tests[%d]", i))
		if !ok {
			continue
		}
		if first, dup := names[tc.Name.Value]; dup {
			d.Diags.Errorf(tc.Name.Pos, diag.CodeDuplicate, "test %q is already defined at %s", tc.Name.Value, first)
		}
		names[tc.Name.Value] = tc.Name.Pos
		out = append(out, tc)
	}
	return out
}

func (d *decoder) testCase(n ast.Node, what string) (*TestCase, bool) {
	tc := &TestCase{Pos: d.Pos(n)}
	seen, ok := d.Fields(n, what, []field{
		{Name: "name", Decode: func(e entry) { tc.Name, _ = d.NonEmpty(e.Value, what+".name") }},
		{Name: "events", Decode: func(e entry) { d.events(tc, e.Value, what+".events") }},
		{Name: "source", Decode: func(e entry) { tc.Source, _ = d.NonEmpty(e.Value, what+".source") }},
		{Name: "params", Decode: func(e entry) { tc.Params = d.settings(e.Value, what+".params") }},
		{Name: "expect", Decode: func(e entry) { d.expect(tc, e.Value, what+".expect") }},
		{Name: "todo", Decode: func(e entry) { tc.Todo, _ = d.NonEmpty(e.Value, what+".todo") }},
	}, "name", "events")
	if ok && !seen["expect"] {
		d.Diags.Errorf(tc.Pos, diag.CodeMissingKey, "%s has no \"expect\" key (use expect: [] for a test that must stay silent)", what)
	}
	if tc.Name.Value != "" {
		return tc, ok
	}
	return tc, false
}

// events reads a test's events: a relative path or a list of event mappings.
func (d *decoder) events(tc *TestCase, n ast.Node, what string) {
	node := d.Unwrap(n, what)
	seq, isList := node.(*ast.SequenceNode)
	if !isList {
		s, ok := d.NonEmpty(n, what)
		if ok && (path.IsAbs(s.Value) || filepath.IsAbs(s.Value)) {
			d.Diags.Errorf(s.Pos, diag.CodeBadValue, "%s %q: want a path relative to the binding file", what, s.Value)
		}
		if ok {
			tc.EventsFile = s
		}
		return
	}
	for i, item := range seq.Values {
		itemWhat := fmt.Sprintf("%s[%d]", what, i)
		v, ok := d.Value(item, itemWhat, 0)
		fields, isMap := v.(map[string]any)
		if !ok {
			continue
		}
		if !isMap {
			d.Errorf(item, diag.CodeBadShape, "%s must be an event mapping, not %s", itemWhat, kind(d.Unwrap(item, itemWhat)))
			continue
		}
		data, err := json.Marshal(fields)
		if err != nil {
			d.Errorf(item, diag.CodeBadValue, "%s cannot be written as JSON: %v", itemWhat, err)
			continue
		}
		tc.Inline = append(tc.Inline, InlineEvent{Fields: fields, JSON: data, Pos: d.Pos(item)})
	}
}

func (d *decoder) expect(tc *TestCase, n ast.Node, what string) {
	items, ok := d.List(n, what)
	if !ok {
		return
	}
	if isNull(n) {
		d.Errorf(n, diag.CodeBadShape, "%s needs a list (use [] for a test that must stay silent)", what)
		return
	}
	tc.ExpectSilent = len(items) == 0
	for i, item := range items {
		itemWhat := fmt.Sprintf("%s[%d]", what, i)
		x := Expectation{Pos: d.Pos(item)}
		_, ok := d.Fields(item, itemWhat, []field{
			{Name: "analytic", Decode: func(e entry) { x.Analytic, _ = d.analyticID(e.Value, itemWhat+".analytic") }},
			{Name: "group", Decode: func(e entry) {
				v, _ := d.Value(e.Value, itemWhat+".group", 0)
				if g, isMap := v.(map[string]any); isMap {
					x.Group = g
				} else if v != nil {
					d.Errorf(e.Value, diag.CodeBadShape, "%s.group must be a mapping of group_by fields, not %s", itemWhat, kind(e.Value))
				}
			}},
		})
		if ok {
			tc.Expect = append(tc.Expect, x)
		}
	}
}

// level reads a binding's level: one of plan.Levels.
func (d *decoder) level(n ast.Node) String {
	s, ok := d.NonEmpty(n, "level")
	if ok && plan.LevelRank(s.Value) < 0 {
		d.Errorf(n, diag.CodeBadValue, "level %q: want one of %s", s.Value, strings.Join(plan.Levels, ", "))
		return String{}
	}
	return s
}
