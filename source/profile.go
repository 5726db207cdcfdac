package source

import (
	"embed"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/yamlpos"
)

// The names of the two fields every profile must give.
const (
	TimeField      = "time"
	LogSourceField = "log_source"
)

//go:embed profiles/*.yaml
var builtinFS embed.FS

// Profile is a compiled source profile. It is immutable and safe for concurrent use.
type Profile struct {
	// Name is what --source names; Description says what logs it reads.
	Name        string
	Description string
	// KeepRaw copies every raw field into the event under its own name; output fields win.
	KeepRaw bool

	fields     []*field // in file order
	time       *field
	logSource  *field
	maps       ref.Val       // the `maps` variable
	lifts      []alternative // the lift expressions, in file order
	liftValues liftMode
	shapes     []*field // one alternative each: a bool
}

// field is one compiled output field: its alternatives, tried in order.
type field struct {
	name string
	alts []alternative
	// same is the alternative that gives the raw field of the field's own name as it is
	// (`Channel: raw.Channel`), -1 if none: with keep_raw, the raw field shows its value.
	same int
}

// sameAlternative returns the index of f's alternative `raw.NAME` for f's own name, or -1.
func sameAlternative(f *field) int {
	for i, alt := range f.alts {
		if isRawField(alt, f.name) {
			return i
		}
	}
	return -1
}

// Builtins lists the names of the built-in profiles, sorted.
func Builtins() []string {
	entries, _ := builtinFS.ReadDir("profiles") // embedded: cannot fail
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Builtin compiles the built-in profile of that name ("windows").
func Builtin(name string) (*Profile, error) {
	file := "profiles/" + name + ".yaml"
	data, err := builtinFS.ReadFile(file)
	if err != nil || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("no built-in source profile %q; built-in profiles: %s", name, strings.Join(Builtins(), ", "))
	}
	return Load("source/"+file, data)
}

// Load compiles a profile from YAML; file names it in errors. The error, if any, is
// diag.Diagnostics: each "file:line:col: error: message", naming the field whose CEL is wrong.
func Load(file string, data []byte) (*Profile, error) {
	s, diags := decode(file, data)
	if s == nil || diags.HasErrors() {
		diags.Sort()
		return nil, diags.Err()
	}
	p, diags := compile(file, s)
	diags.Sort()
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// newEnv is the CEL environment of profile fields: raw, maps, parse_time and lowerAscii.
func newEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("raw", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("maps", cel.MapType(cel.StringType, cel.MapType(cel.StringType, cel.StringType))),
		cel.OptionalTypes(),
		cel.CrossTypeNumericComparisons(true),
		timeFunctions(),
		stringFunctions(),
	)
}

func compile(file string, s *spec) (*Profile, diag.Diagnostics) {
	var diags diag.Diagnostics
	env, err := newEnv()
	if err != nil {
		diags.Errorf(diag.Pos{File: file}, diag.CodeInternal, "CEL environment: %v", err)
		return nil, diags
	}
	p := &Profile{
		Name:        s.name,
		Description: s.description,
		KeepRaw:     s.keepRaw,
		maps:        types.DefaultTypeAdapter.NativeToValue(nonNilMaps(s.maps)),
	}
	seen := map[string]diag.Pos{}
	for _, fs := range s.fields {
		if first, dup := seen[fs.name]; dup {
			diags.Errorf(fs.pos, diag.CodeDuplicateKey, "field %s is given twice (first at %s)", fs.name, first)
			continue
		}
		seen[fs.name] = fs.pos
		f := &field{name: fs.name}
		for _, x := range fs.exprs {
			if prg, ok := compileExpr(env, "field "+fs.name, x, s.maps, wantTypes[fs.name], &diags); ok {
				f.alts = append(f.alts, prg)
			}
		}
		f.same = sameAlternative(f)
		p.fields = append(p.fields, f)
		switch fs.name {
		case TimeField:
			p.time = f
		case LogSourceField:
			p.logSource = f
		}
	}
	p.liftValues = s.liftValues
	for i, x := range s.lift {
		if prg, ok := compileExpr(env, fmt.Sprintf("lift[%d]", i), x, s.maps, liftTypes, &diags); ok {
			p.lifts = append(p.lifts, prg)
		}
	}
	for _, fs := range s.shapes {
		f := &field{name: fs.name}
		for _, x := range fs.exprs {
			if prg, ok := compileExpr(env, "shape "+fs.name, x, s.maps, shapeTypes, &diags); ok {
				f.alts = append(f.alts, prg)
			}
		}
		p.shapes = append(p.shapes, f)
	}
	for _, name := range []string{TimeField, LogSourceField} {
		if _, ok := seen[name]; !ok && s.fields != nil {
			diags.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, diag.CodeMissingKey, "profile %s gives no %s field; every event needs one", s.name, name)
		}
	}
	return p, diags
}

func nonNilMaps(m map[string]map[string]string) map[string]map[string]string {
	if m == nil {
		return map[string]map[string]string{}
	}
	return m
}

// compileExpr compiles one expression (what: "field NAME", "lift[0]", "shape NAME"), reporting
// CEL errors at their place in the file and checking its result type against want (nil:
// any) and its cost (checkCost).
func compileExpr(env *cel.Env, what string, x yamlpos.String, maps map[string]map[string]string, want *resultTypes, diags *diag.Diagnostics) (alternative, bool) {
	checked, iss := env.Compile(x.Value)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			diags.Errorf(x.PosAt(e.Location.Line(), e.Location.Column()+1), diag.CodeTypeError, "%s: %s", what, e.Message)
		}
		return nil, false
	}
	if want != nil && !want.accepts(checked.OutputType()) {
		diags.Errorf(x.PosAt(1, 1), diag.CodeTypeError, "%s: the expression gives %s; want %s", what,
			checked.OutputType(), want.name)
		return nil, false
	}
	if err := checkCost(env, checked, maps); err != nil {
		diags.Errorf(x.PosAt(1, 1), diag.CodeCost, "%s: %v", what, err)
		return nil, false
	}
	prg, err := env.Program(checked, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		diags.Errorf(x.PosAt(1, 1), diag.CodeTypeError, "%s: %v", what, err)
		return nil, false
	}
	return newAlternative(checked, prg), true
}

// resultTypes are the result types an expression may have (dyn is checked at run time): the
// types themselves, or any type of the kinds.
type resultTypes struct {
	types []*cel.Type
	kinds []types.Kind
	name  string // for messages
}

func (r *resultTypes) accepts(t *cel.Type) bool {
	if t.Kind() == types.OpaqueKind && t.TypeName() == "optional_type" && len(t.Parameters()) == 1 {
		t = t.Parameters()[0]
	}
	for _, w := range r.types {
		if t.IsExactType(w) {
			return true
		}
	}
	return slices.Contains(r.kinds, t.Kind())
}

// wantTypes are the result types the required fields accept.
var wantTypes = map[string]*resultTypes{
	TimeField: {types: []*cel.Type{cel.TimestampType, cel.StringType, cel.DynType, cel.NullType},
		name: "a timestamp (parse_time) or an RFC 3339 string"},
	LogSourceField: {types: []*cel.Type{cel.StringType, cel.DynType, cel.NullType}, name: "a string"},
}

// liftTypes are the results a lift expression may give: an object, a list of objects.
var liftTypes = &resultTypes{kinds: []types.Kind{types.MapKind, types.ListKind, types.DynKind, types.AnyKind, types.NullTypeKind},
	name: "an object (a map) or a list of objects"}

// shapeTypes are the results a shape may give.
var shapeTypes = &resultTypes{types: []*cel.Type{cel.BoolType, cel.DynType}, name: "a bool"}
