package plan

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
)

// TypeKind is the outermost constructor of a parameter type.
type TypeKind int

// The kinds of parameter types. TypeInvalid is a text that names no type.
const (
	TypeInvalid TypeKind = iota
	TypeInt
	TypeDouble // also written "number"
	TypeBool
	TypeString
	TypeRegex // a string holding an RE2 pattern
	TypeDuration
	TypeTimestamp
	TypeDyn
	TypeList // list(T): Elem is T
	TypeMap  // map(K, V): Key is K, Elem is V
)

var scalarKinds = map[string]TypeKind{
	"int": TypeInt, "double": TypeDouble, "number": TypeDouble, "bool": TypeBool,
	"string": TypeString, "regex": TypeRegex, "duration": TypeDuration,
	"timestamp": TypeTimestamp, "dyn": TypeDyn,
}

// Type is a parameter type, parsed once from its CEL type expression (int, double, bool,
// string, duration, timestamp, regex, list(T), map(K, V)) when a plan is decoded or built. It
// encodes as the text it was parsed from, byte for byte. A text that names no type still makes
// a Type: Err says why, and Canonical reports it for any value but nil, so that a bad plan
// file loads and fails where it always has, naming the parameter.
type Type struct {
	text string    // as written
	n    *typeNode // the trimmed text, parsed; nil in the zero Type (text "")
	err  error     // why text is not a type, quoting text as written
}

// typeNode is one level of a parsed type. It keeps the text of its level, because
// conversion errors quote it.
type typeNode struct {
	text   string
	kind   TypeKind
	elem   *typeNode // list element, map value
	key    *typeNode // map key; nil when the map has not two arguments
	padded bool      // text has surrounding spaces: no value converts to it
	err    error     // why text is not a type
}

// sharedTypes are the common types, parsed once for all the plans that use them (a Type does
// not change once parsed): the scalars and lists of scalars.
var sharedTypes = func() map[string]Type {
	m := make(map[string]Type, 2*len(scalarKinds))
	for k := range scalarKinds {
		for _, text := range []string{k, "list(" + k + ")"} {
			m[text] = parseType(text)
		}
	}
	return m
}()

// ParseType parses a parameter type. It never fails: a text that names no type gives a Type
// whose Err says why.
func ParseType(text string) Type {
	if t, ok := sharedTypes[text]; ok {
		return t
	}
	return parseType(text)
}

func parseType(text string) Type {
	trimmed := strings.TrimSpace(text)
	t := Type{text: text, n: parseNode(trimmed)}
	t.err = t.n.err
	if t.err != nil && trimmed != text {
		t.err = parseNode(text).err // the error quotes the text as written
	}
	return t
}

func parseNode(s string) *typeNode {
	t := strings.TrimSpace(s)
	n := &typeNode{text: s, padded: t != s}
	if k, ok := scalarKinds[t]; ok {
		n.kind = k
		return n
	}
	if inner, ok := unwrap(t, "list"); ok {
		n.kind, n.elem = TypeList, parseNode(inner)
		n.err = n.elem.err
		return n
	}
	if inner, ok := unwrap(t, "map"); ok {
		n.kind = TypeMap
		n.err = n.parseMap(inner)
		return n
	}
	n.err = fmt.Errorf("unknown type %q (want int, double, bool, string, duration, regex, list(T) or map(K, V))", s)
	return n
}

// parseMap parses the arguments of map(K, V); keys must be strings, ints or bools.
func (n *typeNode) parseMap(inner string) error {
	k, v, ok := splitTopLevelComma(inner)
	if !ok {
		return fmt.Errorf("type %q: map needs two type arguments", n.text)
	}
	n.key, n.elem = parseNode(k), parseNode(v)
	if n.key.err != nil {
		return n.key.err
	}
	switch n.key.kind {
	case TypeString, TypeRegex, TypeInt, TypeBool:
	default:
		return fmt.Errorf("type %q: map key must be string, int or bool", n.text)
	}
	return n.elem.err
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

var emptyType = ParseType("")

func (t Type) node() *typeNode {
	if t.n == nil {
		return emptyType.n
	}
	return t.n
}

// String returns the type as written.
func (t Type) String() string { return t.text }

// Err says why the type's text names no type; nil for a type.
func (t Type) Err() error {
	if t.n == nil {
		return emptyType.err
	}
	return t.err
}

// Kind is the type's outermost constructor.
func (t Type) Kind() TypeKind { return t.node().kind }

// Elem is the element type of a list or the value type of a map.
func (t Type) Elem() Type { return t.sub(t.node().elem) }

// Key is the key type of a map.
func (t Type) Key() Type { return t.sub(t.node().key) }

func (t Type) sub(n *typeNode) Type {
	if n == nil {
		return emptyType
	}
	return Type{text: n.text, n: n, err: n.err}
}

// MarshalText writes the type as written.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.text), nil }

// UnmarshalJSON parses a JSON string; null leaves the type as it is, as for a string field.
func (t *Type) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	if len(data) == 0 || data[0] != '"' {
		// what encoding/json says of a string field
		return &json.UnmarshalTypeError{Value: jsonKind(data), Type: reflect.TypeFor[string]()}
	}
	raw := data[1 : len(data)-1]
	if shared, ok := sharedTypes[string(raw)]; ok { // no allocation
		*t = shared
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	*t = ParseType(s)
	return nil
}

// jsonKind words a JSON value's kind as encoding/json's type errors do.
func jsonKind(data []byte) string {
	if len(data) == 0 {
		return "number"
	}
	switch data[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

// Canonical checks v (as decoded from JSON or YAML) against the type and returns it in the
// plan's JSON form: durations as strings ("5m"), ints as int64, lists and maps converted element
// by element. A nil v stays nil (no value).
func (t Type) Canonical(v any) (any, error) { return t.node().convert(v, false) }

// Native converts a plan value into the Go value bound in CEL activations: durations become
// time.Duration. A nil v becomes the type's zero value, so an unset list is empty and an unset
// number is 0.
func (t Type) Native(v any) (any, error) {
	n := t.node()
	if v == nil {
		return n.zero(), nil
	}
	return n.convert(v, true)
}

func (n *typeNode) zero() any {
	switch n.kind {
	case TypeInt:
		return int64(0)
	case TypeDouble:
		return 0.0
	case TypeBool:
		return false
	case TypeDuration:
		return time.Duration(0)
	case TypeTimestamp:
		return time.Time{}
	case TypeList:
		return []any{}
	case TypeMap:
		return map[string]any{}
	}
	switch { // a broken list or map still has a collection's zero value
	case strings.HasPrefix(n.text, "list("):
		return []any{}
	case strings.HasPrefix(n.text, "map("):
		return map[string]any{}
	}
	return ""
}

func (n *typeNode) convert(v any, native bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	if n.padded {
		return nil, n.mismatch(v)
	}
	switch n.kind {
	case TypeInt:
		return toInt(v)
	case TypeDouble:
		return toFloat(v)
	case TypeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case TypeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case TypeRegex:
		if s, ok := v.(string); ok {
			return toRegex(s)
		}
	case TypeDuration:
		return toDuration(v, native)
	case TypeDyn:
		return v, nil
	case TypeList:
		return n.convertList(v, native)
	case TypeMap:
		return n.convertMap(v, native)
	}
	return nil, n.mismatch(v)
}

// mismatch is the error for a value that does not convert to n.
func (n *typeNode) mismatch(v any) error {
	if n.err != nil {
		return n.err
	}
	return fmt.Errorf("want %s, got %s", n.text, describe(v))
}

// toRegex checks that s is an RE2 pattern as regexp.Compile reads it (every error of
// regexp.Compile is syntax.Parse's with its flags; the program it would build is not needed
// here).
func toRegex(s string) (any, error) {
	if _, err := syntax.Parse(s, syntax.Perl); err != nil {
		return nil, fmt.Errorf("not an RE2 pattern: %w", err)
	}
	return s, nil
}

func (n *typeNode) convertList(v any, native bool) (any, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want list(%s), got %s", n.elem.text, describe(v))
	}
	out := make([]any, len(items))
	for i, it := range items {
		c, err := n.elem.convert(it, native)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out[i] = c
	}
	return out, nil
}

func (n *typeNode) convertMap(v any, native bool) (any, error) {
	if n.key == nil {
		return nil, fmt.Errorf("map type needs two arguments")
	}
	entries, err := mapEntries(v)
	if err != nil {
		return nil, fmt.Errorf("want map(%s), got %s", n.text[len("map("):len(n.text)-1], describe(v))
	}
	if n.key.kind != TypeString {
		return nil, fmt.Errorf("map keys of type %s are not supported in parameters", n.key.text)
	}
	out := make(map[string]any, len(entries))
	for k, it := range entries {
		c, err := n.elem.convert(it, native)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		out[k] = c
	}
	return out, nil
}

func mapEntries(v any) (map[string]any, error) {
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, val := range m {
			out[fmt.Sprint(k)] = val
		}
		return out, nil
	}
	return nil, fmt.Errorf("not a map")
}

func toInt(v any) (any, error) {
	switch n := v.(type) {
	case int:
		return int64(n), nil
	case int64:
		return n, nil
	case uint64:
		if n > math.MaxInt64 {
			return nil, fmt.Errorf("int %d out of range", n)
		}
		return int64(n), nil
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return nil, fmt.Errorf("want int, got %v", n)
		}
		return int64(n), nil
	case json.Number:
		return toInt(string(n))
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(n), 0, 64)
		if err != nil {
			return nil, fmt.Errorf("want int, got %q", n)
		}
		return i, nil
	}
	return nil, fmt.Errorf("want int, got %s", describe(v))
}

func toFloat(v any) (any, error) {
	switch n := v.(type) {
	case int:
		return float64(n), nil
	case int64:
		return float64(n), nil
	case uint64:
		return float64(n), nil
	case float64:
		return n, nil
	case json.Number:
		return n.Float64()
	}
	return nil, fmt.Errorf("want double, got %s", describe(v))
}

func toDuration(v any, native bool) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("want duration such as \"10m\", got %s", describe(v))
	}
	d, err := ParseDuration(s)
	if err != nil {
		return nil, err
	}
	if native {
		return d, nil
	}
	return FormatDuration(d), nil
}

// ParseDuration reads Go durations ("90s", "1h30m") plus whole days ("2d").
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if strings.HasSuffix(t, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(t, "d"))
		if err == nil {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("want duration such as \"10m\", got %q", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return d, nil
}

// FormatDuration writes d in its shortest Go form: 10m, 1h30m, 5s, 1.5s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func describe(v any) string {
	switch t := v.(type) {
	case string:
		return fmt.Sprintf("string %q", t)
	case bool:
		return fmt.Sprintf("bool %v", t)
	case []any:
		return "a list"
	case map[string]any, map[any]any:
		return "a map"
	case int, int64, uint64, float64, json.Number:
		return fmt.Sprintf("number %v", t)
	}
	return fmt.Sprintf("%T", v)
}
