package params

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// quantityKind says what a number in a description measures.
type quantityKind int

const (
	plainNumber quantityKind = iota
	timeSpan                 // "5 minutes", "24h", "7-day"
	dataSize                 // "1MB", "512B", "4096 bytes"
	percentage               // "40%"
	ratioPair                // "4:1"
)

// quantity is one number found in a description, with its unit and what surrounds it.
type quantity struct {
	kind       quantityKind
	num        float64       // the number (a ratio a:b is a/b)
	dur        time.Duration // for timeSpan
	unit       string        // lower-case size unit for dataSize
	text       string        // as written, with the cue or comparator before it
	stated     bool          // introduced by a cue ("e.g.,", "default", ">") or alone in parentheses
	ranged     bool          // one end of a range ("5–30 minutes") or of a tolerance ("24h ± 5m")
	fractional bool          // written with a decimal point
	bound      bool          // after a comparator (">5", "at least 3")
	end        int           // where the quantity ends in the description
}

var (
	timeUnitRe = regexp.MustCompile(`^(?:\s*|-)(?i:(ms|milliseconds?|msecs?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?))\b`)
	sizeUnitRe = regexp.MustCompile(`^\s*(?i:(bytes?|[kmgt]i?b|b))\b`)
	percentRe  = regexp.MustCompile(`^\s*(?:%|(?i:percent)\b)`)
	ratioRe    = regexp.MustCompile(`^:(\d+)\b`)
	rangeAfter = regexp.MustCompile(`^\s*(?:–|—|-|to|±|\+/-)\s*[<>≤≥~]?\s*\d`)
	// rangeBefore matches the text before the far end of a range: "5–", "5 minutes to ", "± ".
	rangeBefore = regexp.MustCompile(`(?:\d[\p{L}%]*\s*(?:–|—|-|to)|±|\+/-)\s*[<>≤≥~]?\s*$`)
	// cueBefore matches the words that state a value right before a number.
	// A symbol cue may follow a word directly ("uid=0", "X=2").
	cueBefore    = regexp.MustCompile(`(?i)(?:(?:^|[^\p{L}\d])((?:e\.g\.,?|i\.e\.,?|default(?: is| of| to|:)?|defaults to|set to|of|at|about|around|approximately|exceeds?|exceeding|above|over|under|below|more than|less than|fewer than|at least|at most|up to|within|every)\s*(?:[<>≥≤~]|>=|<=)?)|([<>≥≤=~]|>=|<=))\s*$`)
	comparatorRe = regexp.MustCompile(`(?i)(?:[<>≥≤]|more than|less than|fewer than|at least|at most|above|over|under|below|exceeds?|exceeding|up to)\s*$`)
	// listJoinRe matches what separates the numbers of a list: ", ", "/", " or ".
	listJoinRe = regexp.MustCompile(`(?i)^\s*(?:,|/|,?\s*or|,?\s*and)\s*$`)
	// spelledSpanRe finds durations written without digits: "every minute", "within an hour".
	spelledSpanRe = regexp.MustCompile(`(?i)\b(?:every|one|within an?)\s+(second|minute|hour|day|week)\b`)
)

var unitDurations = map[string]time.Duration{
	"ms": time.Millisecond, "millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"msec": time.Millisecond, "msecs": time.Millisecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "wk": 7 * 24 * time.Hour, "wks": 7 * 24 * time.Hour,
	"week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// scanQuantities finds every number in desc that is not part of a word, version or hex
// literal, in order, together with durations spelled in words ("every minute").
func scanQuantities(desc string) []quantity {
	var out []quantity
	for i := 0; i < len(desc); {
		start, end, ok := nextNumber(desc, i)
		if !ok {
			break
		}
		i = end
		if q, ok := readQuantity(desc, start, end); ok {
			// "e.g., 4443, 8443" states both numbers, not only the first.
			// A bound (">70/100") states one number.
			if n := len(out); n > 0 && out[n-1].stated && !out[n-1].bound && listJoinRe.MatchString(desc[out[n-1].end:start]) {
				q.stated = true
			}
			out = append(out, q)
			i = q.end
		}
	}
	for _, m := range spelledSpanRe.FindAllStringSubmatchIndex(desc, -1) {
		unit := strings.ToLower(desc[m[2]:m[3]])
		out = append(out, quantity{kind: timeSpan, dur: unitDurations[unit], num: 1,
			text: desc[m[0]:m[1]], stated: true})
	}
	return out
}

// nextNumber returns the next run of digits (with thousands groups and a decimal part) at or
// after i that does not continue a word, a version or a hex literal.
func nextNumber(s string, i int) (start, end int, ok bool) {
	for i < len(s) {
		if !isASCIIDigit(s[i]) {
			i++
			continue
		}
		start = i
		end = scanDigits(s, i)
		prev, _ := utf8.DecodeLastRuneInString(s[:start])
		if start > 0 && (unicode.IsLetter(prev) || prev == '_' || prev == '.' || prev == '\\' || prev == '$') {
			i = end
			continue
		}
		return start, end, true
	}
	return 0, 0, false
}

// scanDigits reads "10,000", "4.5" or "22" starting at i. A comma followed by three digits is
// a thousands separator unless the list goes on ("445,135,3389" is three numbers).
func scanDigits(s string, i int) int {
	j := i
	for j < len(s) && isASCIIDigit(s[j]) {
		j++
	}
	if j-i <= 3 {
		k := j
		for k+3 < len(s) && s[k] == ',' && allDigits(s[k+1:k+4]) && (k+4 == len(s) || !isASCIIDigit(s[k+4])) {
			k += 4
		}
		if k > j && !(k < len(s)-1 && s[k] == ',' && isASCIIDigit(s[k+1])) {
			j = k
		}
	}
	if j+1 < len(s) && s[j] == '.' && isASCIIDigit(s[j+1]) {
		j++
		for j < len(s) && isASCIIDigit(s[j]) {
			j++
		}
	}
	return j
}

// readQuantity classifies the number desc[start:end] by what follows and precedes it.
func readQuantity(desc string, start, end int) (quantity, bool) {
	digits := strings.ReplaceAll(desc[start:end], ",", "")
	num, err := strconv.ParseFloat(digits, 64)
	if err != nil || math.IsInf(num, 0) {
		return quantity{}, false
	}
	q := quantity{kind: plainNumber, num: num, fractional: strings.Contains(digits, ".")}
	rest := desc[end:]
	switch {
	case ratioRe.MatchString(rest):
		m := ratioRe.FindStringSubmatch(rest)
		den, err := strconv.ParseFloat(m[1], 64)
		if err != nil || den == 0 {
			return quantity{}, false
		}
		q.kind, q.num, q.fractional = ratioPair, num/den, true
		end += len(m[0])
	case percentRe.MatchString(rest):
		q.kind = percentage
		end += len(percentRe.FindString(rest))
	case timeUnitRe.MatchString(rest):
		m := timeUnitRe.FindStringSubmatch(rest)
		unit := unitDurations[strings.ToLower(m[1])]
		if num*float64(unit) >= math.MaxInt64 {
			return quantity{}, false
		}
		q.kind, q.dur = timeSpan, time.Duration(num*float64(unit))
		end += len(m[0])
	case sizeUnitRe.MatchString(rest):
		m := sizeUnitRe.FindStringSubmatch(rest)
		q.kind, q.unit = dataSize, strings.ToLower(m[1])
		end += len(m[0])
	default:
		if r, _ := utf8.DecodeRuneInString(rest); unicode.IsLetter(r) || r == '_' {
			return quantity{}, false // "5xx", "3rd", "64bit"
		}
	}
	before := nearBefore(desc, start)
	cue := cueText(desc, start)
	q.stated = cue != "" || (strings.HasSuffix(before, "(") && strings.HasPrefix(desc[end:], ")"))
	q.ranged = rangeAfter.MatchString(desc[end:]) || rangeBefore.MatchString(before)
	q.text = cue + desc[start:end]
	if comparatorRe.MatchString(before) {
		q.stated, q.bound = true, true
	}
	q.end = end
	return q, true
}

// cueText returns the cue right before position start ("e.g., ", ">", "default "), or "".
func cueText(desc string, start int) string {
	near := nearBefore(desc, start)
	offset := start - len(near)
	m := cueBefore.FindStringSubmatchIndex(near)
	switch {
	case m == nil:
		return ""
	case m[2] >= 0:
		return desc[offset+m[2] : start]
	default:
		// Show the name a symbol cue belongs to: "uid=0", "X=2".
		from := offset + m[4]
		for from > 0 && (isASCIILetter(desc[from-1]) || desc[from-1] == '_') {
			from--
		}
		return desc[from:start]
	}
}

// nearWindow is how far before a number its cue, comparator or range may start.
const nearWindow = 48

// nearBefore returns the text just before position i, at most nearWindow bytes and starting
// at a word boundary, so that looking back from every number stays linear.
func nearBefore(s string, i int) string {
	if i <= nearWindow {
		return s[:i]
	}
	w := s[i-nearWindow : i]
	if k := strings.IndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }); k >= 0 {
		return w[k:]
	}
	return ""
}

func isASCIIDigit(b byte) bool { return b >= '0' && b <= '9' }

func isASCIILetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
