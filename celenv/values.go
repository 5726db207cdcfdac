package celenv

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Canonical checks v (as decoded from JSON or YAML) against the parameter type typ and returns
// it in the plan's JSON form: durations as strings ("5m"), ints as int64, lists and maps
// converted element by element. A nil v stays nil (no value).
func Canonical(typ string, v any) (any, error) {
	return convert(strings.TrimSpace(typ), v, false)
}

// Native converts a plan value of type typ into the Go value bound in CEL activations:
// durations become time.Duration. A nil v becomes the type's zero value, so an unset list is
// empty and an unset number is 0.
func Native(typ string, v any) (any, error) {
	typ = strings.TrimSpace(typ)
	if v == nil {
		return zero(typ), nil
	}
	return convert(typ, v, true)
}

func zero(typ string) any {
	switch {
	case typ == "int":
		return int64(0)
	case typ == "double" || typ == "number":
		return 0.0
	case typ == "bool":
		return false
	case typ == "duration":
		return time.Duration(0)
	case typ == "timestamp":
		return time.Time{}
	case strings.HasPrefix(typ, "list("):
		return []any{}
	case strings.HasPrefix(typ, "map("):
		return map[string]any{}
	}
	return ""
}

func convert(typ string, v any, native bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "int":
		return toInt(v)
	case "double", "number":
		return toFloat(v)
	case "bool":
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case "string":
		if s, ok := v.(string); ok {
			return s, nil
		}
	case "regex":
		s, ok := v.(string)
		if !ok {
			break
		}
		if _, err := regexp.Compile(s); err != nil {
			return nil, fmt.Errorf("not an RE2 pattern: %w", err)
		}
		return s, nil
	case "duration":
		return toDuration(v, native)
	case "dyn":
		return v, nil
	}
	if inner, ok := unwrap(typ, "list"); ok {
		return convertList(inner, v, native)
	}
	if inner, ok := unwrap(typ, "map"); ok {
		return convertMap(inner, v, native)
	}
	if _, err := ParseType(typ); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("want %s, got %s", typ, describe(v))
}

func convertList(elemType string, v any, native bool) (any, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want list(%s), got %s", elemType, describe(v))
	}
	out := make([]any, len(items))
	for i, it := range items {
		c, err := convert(elemType, it, native)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out[i] = c
	}
	return out, nil
}

func convertMap(inner string, v any, native bool) (any, error) {
	keyType, valType, ok := splitTopLevelComma(inner)
	if !ok {
		return nil, fmt.Errorf("map type needs two arguments")
	}
	entries, err := mapEntries(v)
	if err != nil {
		return nil, fmt.Errorf("want map(%s), got %s", inner, describe(v))
	}
	if keyType != "string" {
		return nil, fmt.Errorf("map keys of type %s are not supported in parameters", keyType)
	}
	out := make(map[string]any, len(entries))
	for k, it := range entries {
		c, err := convert(valType, it, native)
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

// SortedKeys returns the keys of m in order (deterministic output helpers).
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
