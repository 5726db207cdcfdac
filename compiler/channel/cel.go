package channel

import (
	"regexp"
	"strconv"
	"strings"
)

// selectorCEL renders `event.F == v` for one value and `event.F in [a, b]` for several.
func selectorCEL(field string, values []any) string {
	lhs := fieldRef(field)
	if len(values) == 1 {
		return lhs + " == " + literal(values[0])
	}
	lits := make([]string, len(values))
	for i, v := range values {
		lits[i] = literal(v)
	}
	return lhs + " in [" + strings.Join(lits, ", ") + "]"
}

// fieldRef selects a field of event: `event.F` for identifiers, `event["F"]` otherwise.
func fieldRef(field string) string {
	if celIdent.MatchString(field) && !celReserved[field] {
		return "event." + field
	}
	return "event[" + strconv.Quote(field) + "]"
}

// literal renders an int64 or string value as a CEL literal. strconv.Quote escapes
// (\", \\, \n, \xNN, \uNNNN, \UNNNNNNNN) are all valid in CEL string literals.
func literal(v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return strconv.Quote(v)
	}
	return strconv.Quote("")
}

var celIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// celReserved are CEL's reserved words and literals, which cannot follow `event.`.
var celReserved = map[string]bool{
	"true": true, "false": true, "null": true, "in": true, "as": true, "break": true,
	"const": true, "continue": true, "else": true, "for": true, "function": true, "if": true,
	"import": true, "let": true, "loop": true, "package": true, "namespace": true,
	"return": true, "var": true, "void": true, "while": true,
}
