package params

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/stixcel/stixcel/plan"
)

// noValue is the explanation when a description states nothing usable for the type.
const noValue = "no value stated"

var (
	hexRe      = regexp.MustCompile(`(?i)((?:set to|tuned to|e\.g\.,?|like|default:?|such as)\s+)?\b(0x[0-9a-f]+)\b`)
	boolCueRe  = regexp.MustCompile(`(?i)\b(?:defaults? to|default(?: is|:)?|set to|e\.g\.,?)\s*(true|false|enabled|disabled|on|off|yes|no)\b`)
	mapPairRe  = regexp.MustCompile(`([A-Za-z][\w.-]*)\s*[:=]\s*\[?\s*(\d+(?:\s*[,/]\s*\d+)*)\s*\]?`)
	digitsRe   = regexp.MustCompile(`\d+`)
	sizeUnits  = set("kb", "mb", "gb", "kib", "mib", "gib")
	byteUnits  = set("b", "byte", "bytes")
	boolValues = map[string]bool{"true": true, "enabled": true, "on": true, "yes": true}
)

// suggestDuration takes the one duration the description states ("e.g., 5 minutes" → 5m).
func suggestDuration(desc string) (any, string) {
	var spans []quantity
	for _, q := range scanQuantities(desc) {
		if q.kind == timeSpan {
			spans = append(spans, q)
		}
	}
	q, why := single(spans, func(q quantity) string { return plan.FormatDuration(q.dur) })
	if why != "" {
		return nil, why
	}
	v := plan.FormatDuration(q.dur)
	return v, fmt.Sprintf("%s → %s", quote(q.text), v)
}

// suggestNumber takes the one number the description states. Percentages are left alone
// (30% may mean 30 or 0.3 to the event), and sizes count only in the unit the name carries
// (FileSizeThresholdMB takes ">100MB"; bytes count when the name has no unit).
func suggestNumber(n fieldName, desc string) (num float64, fractional bool, found bool, why string) {
	nameUnit := ""
	if w, ok := n.find(sizeUnits); ok {
		nameUnit = w.lower
	}
	var nums, skipped []quantity
	for _, q := range scanQuantities(desc) {
		switch {
		case q.kind == plainNumber || q.kind == ratioPair:
			if q.stated {
				nums = append(nums, q)
			}
		case q.kind == dataSize && (q.unit == nameUnit || (nameUnit == "" && byteUnits[q.unit])):
			nums = append(nums, q)
		case q.kind == percentage || q.kind == dataSize:
			skipped = append(skipped, q)
		}
	}
	if len(nums) == 0 && len(skipped) > 0 {
		return 0, false, false, fmt.Sprintf("%s: unit or scale not stated for the field", quote(skipped[0].text))
	}
	q, why := single(nums, func(q quantity) string { return strconv.FormatFloat(q.num, 'g', -1, 64) })
	if why != "" {
		return 0, false, false, why
	}
	return q.num, q.fractional || q.num != math.Trunc(q.num), true, quote(q.text)
}

// single returns the one value among qs, or why there is none: nothing stated, a range, or
// several different values.
func single(qs []quantity, key func(quantity) string) (quantity, string) {
	if len(qs) == 0 {
		return quantity{}, noValue
	}
	for _, q := range qs {
		if q.ranged {
			return quantity{}, fmt.Sprintf("range at %s: no single value", quote(q.text))
		}
	}
	seen := map[string]bool{}
	var keys []string
	for _, q := range qs {
		if k := key(q); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if len(keys) > 1 {
		return quantity{}, fmt.Sprintf("several values (%s): none chosen", strings.Join(keys, ", "))
	}
	return qs[0], ""
}

// suggestMask takes the one hex literal of an access mask ("Set to 0x1F0FFF" → 2031615).
func suggestMask(desc string) (any, string) {
	ms := hexRe.FindAllStringSubmatch(desc, -1)
	if len(ms) == 0 {
		return nil, noValue
	}
	distinct := map[string]bool{}
	for _, m := range ms {
		distinct[strings.ToLower(m[2])] = true
	}
	if len(distinct) > 1 {
		return nil, fmt.Sprintf("several masks (%s): none chosen", strings.Join(slices.Sorted(maps.Keys(distinct)), ", "))
	}
	v, err := strconv.ParseInt(ms[0][2][2:], 16, 64)
	if err != nil {
		return nil, fmt.Sprintf("%s is out of range for int", quote(ms[0][2]))
	}
	return v, fmt.Sprintf("%s → %d (%s)", quote(strings.TrimSpace(ms[0][0])), v, ms[0][2])
}

// suggestStrings takes the first candidate list made only of value-like items.
func suggestStrings(desc string) (any, string) {
	candidates := listCandidates(desc)
	if len(candidates) == 0 {
		return nil, noValue
	}
	c := candidates[0]
	out := make([]any, len(c.items))
	for i, it := range c.items {
		out[i] = it
	}
	return out, fmt.Sprintf("%s → %d items", quote(c.text), len(out))
}

// suggestInts takes the first candidate list whose items are ports or numbers ("80/443",
// "53/DNS" give 80, 443 and 53).
func suggestInts(desc string) (any, string) {
	for _, c := range listCandidates(desc) {
		var out []any
		ok := true
		for _, it := range c.items {
			nums, itemOK := itemInts(it)
			if !itemOK {
				ok = false
				break
			}
			out = append(out, nums...)
		}
		if ok {
			return out, fmt.Sprintf("%s → %d numbers", quote(c.text), len(out))
		}
	}
	return nil, noValue
}

// itemInts reads "443", "80/443" or "53/DNS" (a number with its label).
func itemInts(item string) ([]any, bool) {
	var nums []any
	for _, part := range strings.Split(item, "/") {
		if allDigits(part) {
			v, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return nil, false
			}
			nums = append(nums, v)
			continue
		}
		if !isLabel(part) {
			return nil, false
		}
	}
	return nums, len(nums) > 0
}

func isLabel(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return s != ""
}

// suggestString takes a single value after a cue ("e.g., /opt/tinypilot").
func suggestString(desc string) (any, string) {
	var found []listCandidate
	for _, c := range listCandidates(desc) {
		if strongCueRe.MatchString(c.cue) {
			found = append(found, c)
		}
	}
	switch {
	case len(found) == 0:
		return nil, noValue
	case len(found) > 1 || len(found[0].items) > 1:
		return nil, "several examples: none chosen"
	}
	c := found[0]
	return c.items[0], fmt.Sprintf("%s → %q", quote(c.text), c.items[0])
}

// suggestInt takes the one stated whole number ("default VNC port (5900)").
func suggestInt(n fieldName, desc string) (any, string) {
	num, fractional, found, why := suggestNumber(n, desc)
	if !found {
		return nil, why
	}
	if fractional {
		return nil, why + " is not a whole number"
	}
	return int64(num), fmt.Sprintf("%s → %d", why, int64(num))
}

// suggestBool takes "default: true", "set to false", "e.g., enabled".
func suggestBool(desc string) (any, string) {
	m := boolCueRe.FindStringSubmatch(desc)
	if m == nil {
		return nil, noValue
	}
	v := boolValues[strings.ToLower(m[1])]
	return v, fmt.Sprintf("%s → %t", quote(m[0]), v)
}

// suggestPortMap reads "tls: 443; http: 80, 8080" into {tls: [443], http: [80, 8080]}.
func suggestPortMap(desc string) (any, string) {
	ms := mapPairRe.FindAllStringSubmatch(desc, -1)
	if len(ms) == 0 {
		return nil, noValue
	}
	out := map[string]any{}
	for _, m := range ms {
		key := m[1]
		if _, dup := out[key]; dup {
			return nil, fmt.Sprintf("key %q appears twice: none chosen", key)
		}
		var ports []any
		for _, p := range digitsRe.FindAllString(m[2], -1) {
			v, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return nil, fmt.Sprintf("%s is out of range for int", quote(p))
			}
			ports = append(ports, v)
		}
		out[key] = ports
	}
	return out, fmt.Sprintf("%d protocol-port pairs", len(out))
}

// quote writes s for an explanation, shortened when long.
func quote(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 60 {
		s = string(r[:57]) + "..."
	}
	return strconv.Quote(s)
}

// formatFloat writes a number without exponent: 10000, 4.5.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
