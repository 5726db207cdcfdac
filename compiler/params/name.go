package params

import (
	"strings"
	"unicode"
)

// word is one word of a mutable element's field name: "AllowedTeamIDs" has Allowed, Team, IDs.
type word struct {
	text   string // as spelled in the field name
	lower  string
	plural bool // "Paths", "IDs", "Children"
}

// fieldName is a field name split into words at case changes, digits and punctuation.
type fieldName struct {
	words []word
}

// singularS lists lower-case words that end in s but do not name many things.
var singularS = map[string]bool{
	"has": true, "was": true, "its": true, "alias": true, "bias": true, "canvas": true,
	"dns": true, "https": true, "aws": true, "sms": true, "gps": true, "ios": true,
	"macos": true, "os": true, "series": true, "news": true, "lens": true, "yes": true,
	"tls": true, "always": true, "whereas": true, "perhaps": true, "nodejs": true,
}

// irregularPlural lists plurals that do not end in s.
var irregularPlural = map[string]bool{"children": true, "criteria": true, "people": true}

// parseName splits a field name into words. "TimeWindow_ProcessCreateToResume" gives Time,
// Window, Process, Create, To, Resume; an acronym followed by a lower-case s ("APIs") is one
// plural word.
func parseName(field string) fieldName {
	var n fieldName
	for _, part := range strings.FieldsFunc(field, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		n.words = append(n.words, splitPart([]rune(part))...)
	}
	return n
}

// splitPart splits one run of letters and digits at case changes.
func splitPart(r []rune) []word {
	var out []word
	emit := func(s []rune, acronymPlural bool) {
		text := string(s)
		lower := strings.ToLower(text)
		out = append(out, word{text: text, lower: lower, plural: acronymPlural || isPlural(lower, s)})
	}
	for i := 0; i < len(r); {
		switch {
		case unicode.IsDigit(r[i]):
			j := i
			for j < len(r) && unicode.IsDigit(r[j]) {
				j++
			}
			emit(r[i:j], false)
			i = j
		case unicode.IsUpper(r[i]):
			j := i
			for j < len(r) && unicode.IsUpper(r[j]) {
				j++
			}
			if j-i > 1 {
				// An acronym: "IDs" is a plural acronym; in "DLLSignature" the last capital
				// starts the next word.
				if j < len(r) && r[j] == 's' && (j+1 == len(r) || !unicode.IsLower(r[j+1])) {
					emit(r[i:j+1], true)
					i = j + 1
					continue
				}
				if j < len(r) && unicode.IsLower(r[j]) {
					j--
				}
				emit(r[i:j], false)
				i = j
				continue
			}
			k := j
			for k < len(r) && unicode.IsLower(r[k]) {
				k++
			}
			emit(r[i:k], false)
			i = k
		default:
			k := i
			for k < len(r) && !unicode.IsUpper(r[k]) && !unicode.IsDigit(r[k]) {
				k++
			}
			emit(r[i:k], false)
			i = k
		}
	}
	return out
}

// isPlural reports whether a capitalised or lower-case word names many things.
func isPlural(lower string, s []rune) bool {
	if irregularPlural[lower] {
		return true
	}
	if len(s) < 3 || !strings.HasSuffix(lower, "s") || singularS[lower] {
		return false
	}
	// An all-capital word ending in S is an acronym such as DNS or TLS, not a plural.
	if len(s) > 1 && unicode.IsUpper(s[1]) {
		return false
	}
	for _, suffix := range []string{"ss", "us", "is"} {
		if strings.HasSuffix(lower, suffix) {
			return false
		}
	}
	return true
}

func (n fieldName) empty() bool { return len(n.words) == 0 }

func (n fieldName) first() word {
	if n.empty() {
		return word{}
	}
	return n.words[0]
}

func (n fieldName) last() word {
	if n.empty() {
		return word{}
	}
	return n.words[len(n.words)-1]
}

// find returns the first word whose lower-case form is one of set.
func (n fieldName) find(set map[string]bool) (word, bool) {
	for _, w := range n.words {
		if set[w.lower] {
			return w, true
		}
	}
	return word{}, false
}
