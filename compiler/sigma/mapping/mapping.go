// Package mapping says which stixcel events a Sigma rule's logsource selects: for a product
// and a category or service, the ATT&CK log sources, event codes and field names of the
// events that carry it (Sysmon and native sources alike). The table is data, mapping.yaml,
// embedded and read through the positioned YAML decoder; a user's file (--sigma-mapping)
// overrides it.
//
// Override rule (Merge): an entry of the user's file — one (product, category) or (product,
// service) — replaces the built-in entry of the same key whole, targets and all; entries the
// built-in table lacks are added; entries the user's file does not name stay as built in. A
// product's common field renames merge name by name, the user's winning. So a user who wants
// only Sysmon for process_creation writes that entry with the one Sysmon target, and a user
// who adds a service writes just that service.
package mapping

import (
	_ "embed"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/stixcel/stixcel/diag"
)

//go:embed mapping.yaml
var builtinYAML []byte

// BuiltinFile names the embedded table in positions.
const BuiltinFile = "sigma-mapping (built in)"

// Target is one kind of event a Sigma log source selects.
type Target struct {
	LogSource  string              // the ATT&CK log source name the event carries
	EventCodes []int               // the event's EventCode is one of these; empty: any
	Conditions map[string][]string // event field: values, the field equals one of them (ignoring case, as Sigma compares)
	Fields     map[string]string   // Sigma field name: event field name (renames only)
	Lacks      []string            // Sigma fields these events never carry (or with other values)
	Pos        diag.Pos            // where the target is written
}

// EventField returns the event field that holds Sigma's field name in this target's events:
// the renamed one, or the name itself.
func (t Target) EventField(sigmaName string) string {
	if f, ok := t.Fields[sigmaName]; ok {
		return f
	}
	return sigmaName
}

// Carries reports whether this target's events hold Sigma's field name; a rule that tests a
// field the target lacks cannot select these events faithfully (a negated test would pass on
// every one of them).
func (t Target) Carries(sigmaName string) bool {
	return !slices.Contains(t.Lacks, sigmaName)
}

// Product is one Sigma product's entries.
type Product struct {
	Fields     map[string]string   // Sigma field name: event field name, for every target
	Categories map[string][]Target // Sigma category: its targets
	Services   map[string][]Target // Sigma service: its targets
}

// Mapping is the whole table, by Sigma product (lower case).
type Mapping struct {
	Products map[string]*Product
}

// Builtin returns the embedded table, decoded afresh (callers may merge into it).
func Builtin() *Mapping {
	m, diags := Parse(BuiltinFile, builtinYAML)
	if diags.HasErrors() {
		panic("mapping: the built-in Sigma mapping is invalid: " + diags.Error())
	}
	return m
}

// Lookup returns the targets of a Sigma logsource, with the product's common field renames
// folded into each target's Fields (the target's own win). A category, when given, decides;
// a service otherwise. Names are compared in lower case. It reports false when no entry
// covers the log source.
func (m *Mapping) Lookup(product, category, service string) ([]Target, bool) {
	p := m.Products[strings.ToLower(product)]
	if p == nil {
		return nil, false
	}
	var targets []Target
	var ok bool
	switch {
	case category != "":
		targets, ok = p.Categories[strings.ToLower(category)]
	case service != "":
		targets, ok = p.Services[strings.ToLower(service)]
	}
	if !ok || len(targets) == 0 {
		return nil, false
	}
	out := make([]Target, len(targets))
	for i, t := range targets {
		out[i] = t
		out[i].Fields = withCommon(p.Fields, t.Fields)
	}
	return out, true
}

// withCommon returns the product's renames overlaid with the target's own.
func withCommon(common, own map[string]string) map[string]string {
	if len(common) == 0 {
		return own
	}
	out := maps.Clone(common)
	maps.Copy(out, own)
	return out
}

// Merge overlays user onto m, in place, by the package's override rule: user's entries
// replace m's of the same (product, category|service) key, new ones are added, and a
// product's common renames merge name by name.
func (m *Mapping) Merge(user *Mapping) {
	if m.Products == nil {
		m.Products = map[string]*Product{}
	}
	for name, up := range user.Products {
		p := m.Products[name]
		if p == nil {
			p = &Product{}
			m.Products[name] = p
		}
		p.Fields = overlay(p.Fields, up.Fields)
		p.Categories = overlay(p.Categories, up.Categories)
		p.Services = overlay(p.Services, up.Services)
	}
}

func overlay[V any](base, over map[string]V) map[string]V {
	if base == nil {
		base = map[string]V{}
	}
	maps.Copy(base, over)
	return base
}

// Load returns the built-in table with the user's mapping file at path merged over it (see
// the package doc); an empty path gives the built-in table. A file that cannot be read or
// decoded is reported, and what could be read is still merged.
func Load(path string) (*Mapping, diag.Diagnostics) {
	m := Builtin()
	if path == "" {
		return m, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		var diags diag.Diagnostics
		diags.Errorf(diag.Pos{File: path}, diag.CodeIO, "Sigma mapping: %v", err)
		return m, diags
	}
	user, diags := Parse(path, data)
	m.Merge(user)
	return m, diags
}

// Uncovered is the message for a rule whose logsource no entry covers: what it names, and
// how to map it.
func Uncovered(product, category, service string) string {
	var parts []string
	for _, kv := range [][2]string{{"product", product}, {"category", category}, {"service", service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+": "+kv[1])
		}
	}
	return fmt.Sprintf("no Sigma log source mapping covers logsource {%s}; the rule selects no events (map it in a --sigma-mapping file)",
		strings.Join(parts, ", "))
}
