package params

import (
	"regexp"
	"strings"
)

// kindNumber marks a rule whose type is int or double, settled by settleNumber.
const kindNumber = "number"

// nameTest decides whether a rule applies and says why ("name ends in Window").
type nameTest func(n fieldName, desc string) (because string, ok bool)

// typeRule gives typ to every element its test accepts.
type typeRule struct {
	typ  string
	test nameTest
}

// Words that settle a rule; each set is named after what it says about the parameter.
var (
	mappingWords   = set("mappings", "mapping", "map")
	boolLastWords  = set("required", "enabled", "disabled", "only", "flag", "toggle", "enforced")
	boolFirstWords = set("is", "enable", "disable", "require", "required", "has", "should")
	regexWords     = set("regex", "regexes", "regexp", "pattern", "patterns")
	listLastWords  = set("list", "set", "allowlist", "whitelist", "denylist", "blacklist",
		"blocklist", "watchlist", "exclusions")
	portListLastWords = set("set", "list", "profiles", "filter", "scope", "allowlist", "whitelist")
	durationLastWords = set("window", "interval", "timeout", "duration", "age", "period",
		"delay", "lifetime", "lifespan", "gap", "timeframe", "ttl")
	timeWords       = set("time", "timestamp", "duration", "delay", "lifetime", "sleep", "ttl", "age")
	timeLimitWords  = set("threshold", "tolerance", "delta", "limit", "max", "min")
	numberLastWords = set("threshold", "count", "score", "ratio", "rate", "limit", "size", "length",
		"len", "depth", "burst", "number", "num", "quota", "volume", "frequency", "entropy",
		"variance", "velocity", "percent", "percentage", "pct", "days", "bytes", "mb", "kb", "gb",
		"spike", "max", "min")
	numberFirstWords = set("min", "max", "minimum", "maximum")
	doubleWords      = set("entropy", "ratio", "rate", "variance", "velocity", "percent",
		"percentage", "pct", "probability", "fraction")
	allowWords = set("allowed", "approved", "authorized", "permitted")
)

var (
	portMentionRe   = regexp.MustCompile(`(?i)\bports?\b`)
	boolDescRe      = regexp.MustCompile(`(?i)^(enable or disable|toggle|whether to)\b`)
	timeUnitDescRe  = regexp.MustCompile(`(?i)\b(seconds?|minutes?|hours?|ms|time|interval|jitter|delay)\b`)
	timeSpanDescRe  = regexp.MustCompile(`(?i)^(the )?(time|temporal|delay|duration)( \w+)? (between|from|after|window|span|gap|delta|threshold)\b`)
	listDescRe      = regexp.MustCompile(`(?i)^(a )?(list|set|allowlist|whitelist|blocklist|denylist) of\b`)
	listShapedTests = anyOf(endsIn(listLastWords), pluralEnd())
)

// typeRules is the ordered inference table: the first rule that accepts an element gives its
// type. Specific shapes (maps, flags, patterns, masks, ports) come before the broad ones
// (durations, numbers, lists), and string is the explicit fallback.
var typeRules = []typeRule{
	{"map(string, list(int))", both(endsIn(mappingWords), anyOf(has(set("port", "ports")), descSays(portMentionRe)))},
	{"map(string, list(string))", endsIn(mappingWords)},
	{"bool", endsIn(boolLastWords)},
	{"bool", startsWith(boolFirstWords)},
	{"bool", descSays(boolDescRe)},
	{"list(regex)", both(has(regexWords), listShapedTests)},
	{"regex", has(regexWords)},
	{"list(int)", both(has(set("mask")), listShapedTests)},
	{"int", endsIn(set("mask"))},
	{"int", endsIn(set("port"))},
	{"list(int)", has(set("ports"))},
	{"list(int)", both(has(set("port")), endsIn(portListLastWords))},
	{"duration", endsIn(durationLastWords)},
	{"duration", startsWith(set("time"))},
	{"duration", has(set("interval", "timeout"))},
	{"duration", both(has(timeWords), endsIn(timeLimitWords))},
	{"duration", both(endsIn(set("tolerance")), descSays(timeUnitDescRe))},
	{"duration", descSays(timeSpanDescRe)},
	{"string", endsIn(set("hours"))}, // business hours: a time-of-day range, not a duration
	{kindNumber, endsIn(numberLastWords)},
	{kindNumber, endsIn(set("tolerance"))},
	{"int", endsIn(set("pid", "uid"))},
	{"list(string)", endsIn(listLastWords)},
	{"list(string)", pluralEnd()},
	{kindNumber, startsWith(numberFirstWords)},
	{"list(string)", startsWith(allowWords)},
	{"list(string)", descSays(listDescRe)},
	{"string", fallback},
}

// inferType returns the element's type (kindNumber still unsettled) and the reason.
func inferType(n fieldName, desc string) (typ, because string) {
	for _, r := range typeRules {
		if why, ok := r.test(n, desc); ok {
			return r.typ, why
		}
	}
	return "string", "no rule matched" // unreachable: the table ends in fallback
}

// settleNumber picks double for ratio-like names and fractional values, int otherwise.
func settleNumber(n fieldName, fractional bool) (typ, because string) {
	if w, ok := n.find(doubleWords); ok {
		return "double", "name has " + w.text + " → double"
	}
	if fractional {
		return "double", "fractional value → double"
	}
	return "int", "whole number → int"
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

func endsIn(words map[string]bool) nameTest {
	return func(n fieldName, _ string) (string, bool) {
		w := n.last()
		return "name ends in " + w.text, words[w.lower]
	}
}

func startsWith(words map[string]bool) nameTest {
	return func(n fieldName, _ string) (string, bool) {
		w := n.first()
		return "name starts with " + w.text, len(n.words) > 1 && words[w.lower]
	}
}

func has(words map[string]bool) nameTest {
	return func(n fieldName, _ string) (string, bool) {
		w, ok := n.find(words)
		return "name has " + w.text, ok
	}
}

func pluralEnd() nameTest {
	return func(n fieldName, _ string) (string, bool) {
		w := n.last()
		return "name ends in plural " + w.text, w.plural
	}
}

func descSays(re *regexp.Regexp) nameTest {
	return func(_ fieldName, desc string) (string, bool) {
		m := re.FindString(desc)
		return "description says " + quote(m), m != ""
	}
}

func both(a, b nameTest) nameTest {
	return func(n fieldName, desc string) (string, bool) {
		whyA, ok := a(n, desc)
		if !ok {
			return "", false
		}
		whyB, ok := b(n, desc)
		return whyA + " and " + strings.TrimPrefix(whyB, "name "), ok
	}
}

func anyOf(tests ...nameTest) nameTest {
	return func(n fieldName, desc string) (string, bool) {
		for _, t := range tests {
			if why, ok := t(n, desc); ok {
				return why, true
			}
		}
		return "", false
	}
}

func fallback(fieldName, string) (string, bool) {
	return "no rule matched, string by default", true
}
