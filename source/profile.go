package source

import (
	"embed"
	"fmt"
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

	fields    []*field // in file order
	time      *field
	logSource *field
	maps      ref.Val // the `maps` variable
}

// field is one compiled output field: its alternatives, tried in order.
type field struct {
	name string
	alts []alternative
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
			if prg, ok := compileExpr(env, fs.name, x, s.maps, &diags); ok {
				f.alts = append(f.alts, prg)
			}
		}
		p.fields = append(p.fields, f)
		switch fs.name {
		case TimeField:
			p.time = f
		case LogSourceField:
			p.logSource = f
		}
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

// compileExpr compiles one alternative of a field, reporting CEL errors at their place in the
// file and checking the required fields' result types and the expression's cost (checkCost).
func compileExpr(env *cel.Env, name string, x yamlpos.String, maps map[string]map[string]string, diags *diag.Diagnostics) (alternative, bool) {
	checked, iss := env.Compile(x.Value)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			diags.Errorf(x.PosAt(e.Location.Line(), e.Location.Column()+1), diag.CodeTypeError, "field %s: %s", name, e.Message)
		}
		return nil, false
	}
	if want, ok := wantTypes[name]; ok && !typeIn(checked.OutputType(), want) {
		diags.Errorf(x.PosAt(1, 1), diag.CodeTypeError, "field %s: the expression gives %s; want %s", name,
			checked.OutputType(), wantNames[name])
		return nil, false
	}
	if err := checkCost(env, checked, maps); err != nil {
		diags.Errorf(x.PosAt(1, 1), diag.CodeCost, "field %s: %v", name, err)
		return nil, false
	}
	prg, err := env.Program(checked, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		diags.Errorf(x.PosAt(1, 1), diag.CodeTypeError, "field %s: %v", name, err)
		return nil, false
	}
	return newAlternative(checked, prg), true
}

// wantTypes are the result types the required fields accept (dyn is checked at run time).
var wantTypes = map[string][]*cel.Type{
	TimeField:      {cel.TimestampType, cel.StringType, cel.DynType, cel.NullType, cel.OptionalType(cel.TimestampType), cel.OptionalType(cel.StringType)},
	LogSourceField: {cel.StringType, cel.DynType, cel.NullType, cel.OptionalType(cel.StringType)},
}

var wantNames = map[string]string{
	TimeField:      "a timestamp (parse_time) or an RFC 3339 string",
	LogSourceField: "a string",
}

func typeIn(t *cel.Type, want []*cel.Type) bool {
	for _, w := range want {
		if t.IsExactType(w) {
			return true
		}
	}
	return false
}
