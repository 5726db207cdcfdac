package sigmacel

import (
	"sort"
	"strconv"
	"strings"

	"github.com/stixcel/stixcel/compiler/sigma/mapping"
)

// Selector returns the CEL expression that selects target t's events: its log source, its
// event codes (when it names any) and its conditions (each field equal, ignoring ASCII case,
// to one of its values).
func Selector(t mapping.Target) string {
	parts := []part{atom("event.log_source == " + quote(t.LogSource))}
	if len(t.EventCodes) > 0 {
		codes := make([]string, len(t.EventCodes))
		for i, c := range t.EventCodes {
			codes[i] = strconv.Itoa(c)
		}
		parts = append(parts, atom("has(event.EventCode)"), atom("event.EventCode in ["+strings.Join(codes, ", ")+"]"))
	}
	fields := make([]string, 0, len(t.Conditions))
	for f := range t.Conditions {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, name := range fields {
		f := eventField(name)
		vals := make([]string, len(t.Conditions[name]))
		for i, v := range t.Conditions[name] {
			vals[i] = quote(strings.ToLower(v))
		}
		parts = append(parts, atom(f.has), atom(f.get+".lowerAscii() in ["+strings.Join(vals, ", ")+"]"))
	}
	return and(parts...).text
}
