// Package celenv declares the CEL environments that the stixcel compiler type-checks against
// and the runtime evaluates in, so that both agree on every variable, type and function; and
// it is the one place where an expression is checked and built into a program (CompileBool,
// CheckCost, NewProgram, CheckProgram), so that lint and compile refuse exactly what the
// runtime refuses when it builds a plan.
//
// A channel predicate sees `event` (the normalized event, map(string, dyn)) and `params` (the
// plan's parameters as a typed object: params.TimeWindow is a duration, a misspelled name is a
// type error), with the strings and network extensions, `s.containsAny(list)` (one pass over
// s for a long list of substrings) and `event.anyStringMatches(re)` (a search of every string
// value of the event, which Sigma keyword searches compile to). A condition sees c1..cN (bool: channel N matched in the window), `channels`
// (channels.cN is a ChannelState with count, first, last and recurrence functions; lists of
// them take distinct, sum, avg, minShare, maxShare and inOrder, which Sigma correlations
// compile to) and `params`.
package celenv

import (
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"

	"github.com/stixcel/stixcel/plan"
)

// CELType is the CEL type of a parsed parameter type, or why its text names no type.
func CELType(t plan.Type) (*cel.Type, error) {
	if err := t.Err(); err != nil {
		return nil, err
	}
	return celType(t), nil
}

// celType maps a valid type.
func celType(t plan.Type) *cel.Type {
	switch t.Kind() {
	case plan.TypeInt:
		return cel.IntType
	case plan.TypeDouble:
		return cel.DoubleType
	case plan.TypeBool:
		return cel.BoolType
	case plan.TypeDuration:
		return cel.DurationType
	case plan.TypeTimestamp:
		return cel.TimestampType
	case plan.TypeDyn:
		return cel.DynType
	case plan.TypeList:
		return cel.ListType(celType(t.Elem()))
	case plan.TypeMap:
		return cel.MapType(celType(t.Key()), celType(t.Elem()))
	}
	return cel.StringType // string, regex
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
