// Package celenv declares the CEL environments that the stixcel compiler type-checks against
// and the runtime evaluates in, so that both agree on every variable, type and function.
//
// A channel predicate sees `event` (the normalized event, map(string, dyn)) and `params` (the
// plan's parameters as a typed object: params.TimeWindow is a duration, a misspelled name is a
// type error). A condition sees c1..cN (bool: channel N matched in the window), `channels`
// (channels.cN is a ChannelState with count, first, last and recurrence functions) and
// `params`.
package celenv

import (
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
)

// ParseType turns a stixcel parameter type into a CEL type. Accepted: int, double, bool,
// string, duration, timestamp, regex (a string holding an RE2 pattern), list(T), map(K, V).
func ParseType(s string) (*cel.Type, error) {
	t := strings.TrimSpace(s)
	switch t {
	case "int":
		return cel.IntType, nil
	case "double", "number":
		return cel.DoubleType, nil
	case "bool":
		return cel.BoolType, nil
	case "string", "regex":
		return cel.StringType, nil
	case "duration":
		return cel.DurationType, nil
	case "timestamp":
		return cel.TimestampType, nil
	case "dyn":
		return cel.DynType, nil
	}
	if inner, ok := unwrap(t, "list"); ok {
		elem, err := ParseType(inner)
		if err != nil {
			return nil, err
		}
		return cel.ListType(elem), nil
	}
	if inner, ok := unwrap(t, "map"); ok {
		k, v, ok := splitTopLevelComma(inner)
		if !ok {
			return nil, fmt.Errorf("type %q: map needs two type arguments", s)
		}
		kt, err := ParseType(k)
		if err != nil {
			return nil, err
		}
		if kt != cel.StringType && kt != cel.IntType && kt != cel.BoolType {
			return nil, fmt.Errorf("type %q: map key must be string, int or bool", s)
		}
		vt, err := ParseType(v)
		if err != nil {
			return nil, err
		}
		return cel.MapType(kt, vt), nil
	}
	return nil, fmt.Errorf("unknown type %q (want int, double, bool, string, duration, regex, list(T) or map(K, V))", s)
}

// unwrap returns X for "name(X)".
func unwrap(s, name string) (string, bool) {
	if !strings.HasPrefix(s, name+"(") || !strings.HasSuffix(s, ")") {
		return "", false
	}
	return s[len(name)+1 : len(s)-1], true
}

// splitTopLevelComma splits "a, b(c, d)" at the first comma outside parentheses.
func splitTopLevelComma(s string) (string, string, bool) {
	depth := 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]), true
			}
		}
	}
	return "", "", false
}

// structProvider declares object types whose fields are read from Go maps or ChannelState
// values. It extends the standard registry so checked field access has precise types.
type structProvider struct {
	*types.Registry
	structs map[string]map[string]*types.Type
}

func newStructProvider(base *types.Registry) *structProvider {
	return &structProvider{Registry: base, structs: map[string]map[string]*types.Type{}}
}

func (p *structProvider) declare(name string, fields map[string]*types.Type) {
	p.structs[name] = fields
}

func (p *structProvider) FindStructType(name string) (*types.Type, bool) {
	if _, ok := p.structs[name]; ok {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.Registry.FindStructType(name)
}

func (p *structProvider) FindStructFieldNames(name string) ([]string, bool) {
	fields, ok := p.structs[name]
	if !ok {
		return p.Registry.FindStructFieldNames(name)
	}
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	return names, true
}

func (p *structProvider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	fields, ok := p.structs[name]
	if !ok {
		return p.Registry.FindStructFieldType(name, field)
	}
	t, ok := fields[field]
	if !ok {
		return nil, false
	}
	return &types.FieldType{
		Type:    t,
		IsSet:   func(target any) bool { _, ok := getField(target, field); return ok },
		GetFrom: func(target any) (any, error) { return getFieldOrErr(target, field) },
	}, true
}

func getField(target any, field string) (any, bool) {
	switch t := target.(type) {
	case map[string]any:
		v, ok := t[field]
		return v, ok
	case *ChannelState:
		return t.field(field)
	}
	return nil, false
}

func getFieldOrErr(target any, field string) (any, error) {
	v, ok := getField(target, field)
	if !ok {
		return nil, fmt.Errorf("no such key: %s", field)
	}
	return v, nil
}

// mustRegistry returns a fresh standard registry (the one cel.NewEnv would build).
func mustRegistry() *types.Registry {
	reg, err := types.NewRegistry()
	if err != nil {
		panic(fmt.Sprintf("celenv: standard CEL registry: %v", err)) // cannot happen: no inputs
	}
	return reg
}
