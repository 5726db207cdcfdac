package params

import (
	"regexp"
	"strings"
	"unicode"
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
	// itemSepRe splits a clause into items at commas and at "or", "and", "vs.".
	itemSepRe = regexp.MustCompile(`(?i),|\s+(?:or|and|vs\.?|&)\s+`)
	// trailerRe removes words that close a list but are not part of its last item.
	trailerRe  = regexp.MustCompile(`(?i)\s+(?:by default|etc\.?)$`)
	skipItemRe = regexp.MustCompile(`(?i)^(?:etc\.?|\.\.\.|…|and|or)$`)
)

// listCandidates returns every candidate list in desc, in order of appearance.
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

// clauseAt returns the text from i up to the end of its clause: an unmatched ")", ";", a
// dash between spaces, a full stop before a space or the end, or a new line. Quoted text is
// skipped whole, so "'IEX('" does not end a clause.
func clauseAt(s string, i int) string {
	depth := 0
	var quote rune
	for j, r := range s[i:] {
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
	r := []rune(s[:pos])
	if len(r) == 0 {
		return 0
	}
	return r[len(r)-1]
}

// splitItems splits a clause into value items. It fails when any item is prose: an unquoted
// item may not hold spaces or parentheses.
func splitItems(clause string) ([]string, bool) {
	clause = trailerRe.ReplaceAllString(strings.TrimSpace(clause), "")
	if clause == "" {
		return nil, false
	}
	var items []string
	for _, raw := range splitOutsideQuotes(clause) {
		item := strings.TrimSpace(raw)
		if skipItemRe.MatchString(item) || item == "" {
			continue
		}
		value, quoted := unquote(item)
		if !quoted && (strings.ContainsAny(value, " \t()[]{}\"'`") || strings.HasSuffix(value, ":")) {
			return nil, false
		}
		if value == "" || strings.HasSuffix(value, "..") || strings.HasSuffix(value, "…") {
			return nil, false // empty, or elided ("/vmfs/volumes/...")
		}
		items = append(items, value)
	}
	return items, len(items) > 0
}

// splitOutsideQuotes splits at itemSepRe matches that are not inside quotes.
func splitOutsideQuotes(s string) []string {
	var parts []string
	last := 0
	for _, m := range itemSepRe.FindAllStringIndex(s, -1) {
		if m[0] < last || insideQuotes(s[last:m[0]]) {
			continue
		}
		parts = append(parts, s[last:m[0]])
		last = m[1]
	}
	return append(parts, s[last:])
}

// insideQuotes reports whether s opens a quote it does not close.
func insideQuotes(s string) bool {
	for _, q := range []string{"`", "\""} {
		if strings.Count(s, q)%2 == 1 {
			return true
		}
	}
	t := strings.TrimSpace(s)
	return strings.HasPrefix(t, "'") && (len(t) == 1 || !strings.HasSuffix(t, "'"))
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
