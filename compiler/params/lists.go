package params

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// listCandidate is a run of text that may spell a value: the clause after a cue ("e.g., a,
// b"), a parenthesised group, or the head of the description ("tar, gzip, zip, 7z").
type listCandidate struct {
	text  string // as written, for explanations
	items []string
	cue   string // the word that introduced it ("e.g."), or "" for a bare group of two or more
}

var (
	// listCueRe finds the words that introduce values. "default" counts only as "(default x)",
	// "default:" or "defaults to", and "typically" only at the start of a clause, since both
	// are common adjectives ("default paths", "not typically enabled").
	listCueRe = regexp.MustCompile(`(?i)(?:^|[^\p{L}])(e\.g\.|eg\.|i\.e\.|for example|such as|like|including|defaults? to|default is|default:|set to|list:)|(?:^|\(|[,;.] )((?i:default|typically))\b|\w(:)\s`)
	// strongCueRe marks the cues that may introduce a single value of a string parameter.
	strongCueRe = regexp.MustCompile(`(?i)^(e\.g\.|eg\.|i\.e\.|for example|defaults? to|default is|default:?|set to|typically)$`)
	// trailerRe removes words that close a list but are not part of its last item.
	trailerRe  = regexp.MustCompile(`(?i)\s+(?:by default|etc\.?)$`)
	skipItemRe = regexp.MustCompile(`(?i)^(?:etc\.?|\.\.\.|…|and|or)$`)
)

// listCandidates returns every candidate list in desc: cued clauses first, in order of
// appearance, then bare parenthesised groups, then the head of the description.
func listCandidates(desc string) []listCandidate {
	var out []listCandidate
	for _, m := range listCueRe.FindAllStringSubmatchIndex(desc, -1) {
		cueStart, cueEnd := m[2], m[3]
		for g := 4; cueStart < 0 && g+1 < len(m); g += 2 {
			cueStart, cueEnd = m[g], m[g+1]
		}
		raw := clauseAt(desc, cueEnd)
		if items, ok := splitItems(strings.TrimLeft(raw, ",: ")); ok {
			out = append(out, listCandidate{text: desc[cueStart : cueEnd+len(raw)], items: items, cue: desc[cueStart:cueEnd]})
		}
	}
	for i, r := range desc {
		if r != '(' {
			continue
		}
		group := clauseAt(desc, i+1)
		if listCueRe.MatchString(leadingWords(group)) {
			continue // "(e.g., a, b)" is already a cued candidate
		}
		if items, ok := splitItems(group); ok && len(items) > 1 {
			out = append(out, listCandidate{text: "(" + group + ")", items: items})
		}
	}
	head := clauseAt(desc, 0)
	if items, ok := splitItems(head); ok && len(items) > 1 && !strings.Contains(head, "(") {
		out = append(out, listCandidate{text: head, items: items})
	}
	return out
}

// leadingWords returns the first few characters of s, where a cue would sit.
func leadingWords(s string) string {
	if len(s) > 16 {
		return s[:16]
	}
	return s
}

// maxClause bounds the length of a clause that may hold a value list.
const maxClause = 1024

// clauseAt returns the text from i up to the end of its clause: an unmatched ")", ";", a
// dash between spaces, a full stop before a space or the end, or a new line. Quoted text is
// skipped whole, so "'IEX('" does not end a clause.
func clauseAt(s string, i int) string {
	depth := 0
	var quote rune
	for j, r := range s[i:] {
		if j > maxClause {
			return "" // no list runs this long; stop so that every "(" costs a bounded scan
		}
		pos := i + j
		switch {
		case quote != 0:
			if r == quote || (quote == '‘' && r == '’') || (quote == '“' && r == '”') {
				quote = 0
			}
		case r == '`' || r == '\'' && (pos == 0 || !unicode.IsLetter(prevRune(s, pos))) || r == '"' || r == '‘' || r == '“':
			quote = r
		case r == '(':
			depth++
		case r == ')':
			if depth == 0 {
				return s[i:pos]
			}
			depth--
		case r == ';' || r == '\n':
			return s[i:pos]
		case (r == '–' || r == '—' || r == '-') && strings.HasPrefix(s[pos+len(string(r)):], " ") && strings.HasSuffix(s[:pos], " "):
			return s[i:pos]
		case r == '.' && (pos+1 == len(s) || s[pos+1] == ' ') && !strings.HasSuffix(s[:pos], "."):
			if depth == 0 && !strings.HasSuffix(strings.ToLower(s[:pos]), "etc") && !strings.HasSuffix(strings.ToLower(s[:pos]), "vs") {
				return s[i:pos]
			}
		}
	}
	return s[i:]
}

func prevRune(s string, pos int) rune {
	r, _ := utf8.DecodeLastRuneInString(s[:pos])
	return r
}

// splitItems splits a clause into value items. It fails when any item is prose: an unquoted
// item may not hold spaces or parentheses.
func splitItems(clause string) ([]string, bool) {
	clause = trailerRe.ReplaceAllString(strings.TrimSpace(clause), "")
	if clause == "" {
		return nil, false
	}
	var items []string
	ok := eachItem(clause, func(raw string) bool {
		item := strings.TrimSpace(raw)
		if skipItemRe.MatchString(item) || item == "" {
			return true
		}
		value, quoted := unquote(item)
		if !quoted && (strings.ContainsAny(value, " \t()[]{}\"'`") || strings.HasSuffix(value, ":")) {
			return false
		}
		if value == "" || strings.HasSuffix(value, "..") || strings.HasSuffix(value, "…") {
			return false // empty, or elided ("/vmfs/volumes/...")
		}
		items = append(items, value)
		return true
	})
	return items, ok && len(items) > 0
}

// eachItem calls yield with each part of s between separators (a comma, or " or ", " and ",
// " vs. ", " & " between spaces) that are not inside quotes, in one pass, and stops early
// when yield returns false.
func eachItem(s string, yield func(string) bool) bool {
	last := 0
	backticks, doubles := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '`':
			backticks++
			continue
		case '"':
			doubles++
			continue
		}
		sepEnd := separatorAt(s, i)
		if sepEnd < 0 {
			continue
		}
		item := strings.TrimSpace(s[last:i])
		openSingle := strings.HasPrefix(item, "'") && (len(item) == 1 || !strings.HasSuffix(item, "'"))
		if backticks%2 == 1 || doubles%2 == 1 || openSingle {
			continue
		}
		if !yield(s[last:i]) {
			return false
		}
		last = sepEnd
		i = sepEnd - 1
	}
	return yield(s[last:])
}

// listWords are the words that join the last items of a list.
var listWords = []string{"or", "and", "vs.", "vs", "&"}

// separatorAt returns where the item separator starting at i ends, or -1.
func separatorAt(s string, i int) int {
	if s[i] == ',' {
		return i + 1
	}
	if s[i] != ' ' {
		return -1
	}
	rest := s[i+1:]
	for _, w := range listWords {
		if len(rest) > len(w) && strings.EqualFold(rest[:len(w)], w) && rest[len(w)] == ' ' {
			return i + 1 + len(w) + 1
		}
	}
	return -1
}

// unquote strips one pair of surrounding quotes or backticks.
func unquote(s string) (string, bool) {
	pairs := [][2]string{{"`", "`"}, {"'", "'"}, {"\"", "\""}, {"‘", "’"}, {"“", "”"}}
	for _, p := range pairs {
		if len(s) < len(p[0])+len(p[1]) || !strings.HasPrefix(s, p[0]) || !strings.HasSuffix(s, p[1]) {
			continue
		}
		inner := s[len(p[0]) : len(s)-len(p[1])]
		if strings.Contains(inner, p[0]) || strings.Contains(inner, p[1]) {
			return s, false // "`a` spawning `b`" is two quoted words, not one
		}
		return inner, true
	}
	return s, false
}
