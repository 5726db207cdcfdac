package pack

import (
	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/diag"
)

// Profile is a parameter profile (`--params profile.yaml`): organisation values for mutable
// elements, for every analytic that has them (Params) or for one analytic (Analytics, which
// wins over Params).
type Profile struct {
	File      string
	Params    []*Setting          // in file order
	Analytics []*AnalyticSettings // in file order
}

// Setting is one parameter value, decoded as ParseBinding decodes defaults.
type Setting struct {
	Name     String
	Value    any
	ValuePos diag.Pos
}

// AnalyticSettings are the values for one analytic, named by ATT&CK or STIX id.
type AnalyticSettings struct {
	Analytic String
	Params   []*Setting
}

// ParseProfile decodes a parameter profile; file is only used in positions. A file with no
// content (only comments) is an empty profile. Checking names and types against the loaded
// analytics is the compiler's job.
func ParseProfile(file string, data []byte) (*Profile, diag.Diagnostics) {
	d := newDecoder(file, data)
	p := &Profile{File: file}
	body := d.Document(data)
	if body == nil {
		if d.Diags.HasErrors() {
			return nil, d.Diags
		}
		return p, d.Diags
	}
	_, ok := d.Fields(body, "profile", []field{
		{Name: "params", Decode: func(e entry) { p.Params = d.settings(e.Value, "params") }},
		{Name: "analytics", Decode: func(e entry) { p.Analytics = d.analyticSettings(e.Value) }},
	})
	d.Diags.Sort()
	if !ok {
		return nil, d.Diags
	}
	return p, d.Diags
}

func (d *decoder) analyticSettings(n ast.Node) []*AnalyticSettings {
	if isNull(n) {
		return nil
	}
	entries, _ := d.Map(n, "analytics")
	var out []*AnalyticSettings
	for _, e := range entries {
		as := &AnalyticSettings{Analytic: e.Key}
		as.Params = d.settings(e.Value, "analytics."+e.Key.Value)
		out = append(out, as)
	}
	return out
}

// settings reads a mapping of parameter names to values; null is no settings.
func (d *decoder) settings(n ast.Node, what string) []*Setting {
	if isNull(n) {
		return nil
	}
	entries, _ := d.Map(n, what)
	var out []*Setting
	for _, e := range entries {
		v, ok := d.Value(e.Value, what+"."+e.Key.Value, 0)
		if ok {
			out = append(out, &Setting{Name: e.Key, Value: v, ValuePos: d.ValuePos(e)})
		}
	}
	return out
}
