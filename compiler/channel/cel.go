package channel

import (
	"regexp"
	"strconv"
	"strings"
)

// selectorCEL renders `has(event.F) && event.F == v` for one value and
// `has(event.F) && event.F in [a, b]` for several. The presence test comes first, so that an
// event without the field (a PowerShell event without CmdletName) is no match rather than
// an evaluation error; a null or a value of another type compares unequal without error.
func selectorCEL(field string, values []any) string {
	lhs := fieldRef(field)
	test := lhs + " in [" + literalList(values) + "]"
	if len(values) == 1 {
		test = lhs + " == " + literal(values[0])
	}
	return presence(field) + " && " + test
}

func literalList(values []any) string {
	lits := make([]string, len(values))
	for i, v := range values {
		lits[i] = literal(v)
	}
	return strings.Join(lits, ", ")
}

// presence tests that event has the field: `has(event.F)`, or `"F" in event` for a field
// that is no CEL identifier (has() takes only a selection).
func presence(field string) string {
	if isIdent(field) {
		return "has(event." + field + ")"
	}
	return strconv.Quote(field) + " in event"
}

// fieldRef selects a field of event: `event.F` for identifiers, `event["F"]` otherwise.
func fieldRef(field string) string {
	if isIdent(field) {
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

// isIdent reports whether a field can be selected as `event.F`.
func isIdent(field string) bool { return celIdent.MatchString(field) && !celReserved[field] }

var celIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// celReserved are CEL's reserved words and literals, which cannot follow `event.`.
var celReserved = map[string]bool{
	"true": true, "false": true, "null": true, "in": true, "as": true, "break": true,
	"const": true, "continue": true, "else": true, "for": true, "function": true, "if": true,
	"import": true, "let": true, "loop": true, "package": true, "namespace": true,
	"return": true, "var": true, "void": true, "while": true,
}
