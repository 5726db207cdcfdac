// Package params infers typed parameters from ATT&CK mutable elements.
//
// Each analytic's x_mitre_mutable_elements is a list of {field, description} tunables such as
// TimeWindow, EntropyThreshold or AllowedProtocolPortMappings. Infer gives every element a
// celenv parameter type, chosen from the field name (and, for a few shapes, the description)
// by one ordered table, and a suggested value when the description clearly states one
// ("e.g., 5 minutes" → "5m", "Set to 0x1F0FFF" → 2031615). It never guesses a value: ranges,
// several candidates and prose examples give none.
package params

import "strings"

// Inferred is the type and suggested value of one mutable element.
type Inferred struct {
	// Type is a celenv type: "duration", "int", "double", "bool", "string", "regex",
	// "list(string)", "list(int)", "list(regex)", "map(string, list(int))", ...
	Type string
	// Value is the suggested value in plan JSON form (plan.ParseType(Type).Canonical(Value) returns it
	// unchanged), or nil when the description states none.
	Value any
	// Why explains the inference for `stixcel explain`, e.g.
	// `name ends in Window → duration; "e.g., 5 minutes" → 5m`.
	Why string
}

// Infer types the mutable element field and extracts the value its description suggests.
// It accepts any input and always returns a type that plan.ParseType accepts.
func Infer(field, description string) Inferred {
	n := parseName(field)
	desc := strings.TrimSpace(description)
	typ, because := inferType(n, desc)
	if typ == kindNumber {
		return inferNumber(n, desc, because)
	}
	value, valueWhy := suggest(typ, n, desc)
	return Inferred{Type: typ, Value: value, Why: because + " → " + typ + "; " + valueWhy}
}

// maxExactInt is the largest whole number a double holds exactly (2^53).
const maxExactInt = 1 << 53

// inferNumber settles int or double from the name and the stated value.
func inferNumber(n fieldName, desc, because string) Inferred {
	num, fractional, found, valueWhy := suggestNumber(n, desc)
	typ, settled := settleNumber(n, found && fractional)
	why := because + " → number; " + settled + "; "
	if !found {
		return Inferred{Type: typ, Why: why + valueWhy}
	}
	if typ == "int" && (num > maxExactInt || num < -maxExactInt) {
		return Inferred{Type: typ, Why: why + valueWhy + " is out of range for int"}
	}
	if typ == "double" {
		return Inferred{Type: typ, Value: num, Why: why + valueWhy + " → " + formatFloat(num)}
	}
	return Inferred{Type: typ, Value: int64(num), Why: why + valueWhy + " → " + formatFloat(num)}
}

// suggest dispatches to the value reader of each type.
func suggest(typ string, n fieldName, desc string) (any, string) {
	switch typ {
	case "duration":
		return suggestDuration(desc)
	case "int":
		if _, ok := n.find(set("mask")); ok {
			return suggestMask(desc)
		}
		return suggestInt(n, desc)
	case "bool":
		return suggestBool(desc)
	case "string":
		return suggestString(desc)
	case "list(string)":
		return suggestStrings(desc)
	case "list(int)":
		return suggestInts(desc)
	case "map(string, list(int))":
		return suggestPortMap(desc)
	case "regex", "list(regex)":
		return nil, "patterns are not taken from prose examples"
	}
	return nil, noValue
}
