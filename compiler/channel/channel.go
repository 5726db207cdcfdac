// Package channel derives CEL selectors from ATT&CK log source channel strings.
//
// An analytic's log source reference names a source ("auditd:SYSCALL") and a channel that
// says which of its events matter ("execve", "EventCode=4663, 4670", or prose). Derive turns
// a channel it can read with confidence into a selector such as `event.syscall == "execve"`;
// any other channel gets no selector and a reason. A wrong selector is worse than none, so
// the grammar is narrow:
//
//   - Field=value at the start of the channel, optionally followed by prose or by more values
//     of the same field: "EventCode=4663, 4670", "DeviceLockState=locked during ...". Not
//     elsewhere: in "dscl . create with IsHidden=1" the pair is a command argument.
//   - "Field in (a, b)" as the whole channel.
//   - A whole channel that is a list of tokens of the source's selector field, separated by
//     commas, slashes, bars, "or" or "and": "write, rename", "CreateUser".
//   - "tokens: prose", where the tokens are values of the source's field ("execve: ...").
//   - "field: tokens", where field looks like an event field name ("api_call: A, B").
//   - For fields with a closed word list (syscalls, verbs), tokens followed by a connector
//     and prose: "execve of curl ...", "open/write syscalls to /dev/sd*".
//
// Which field a bare token selects on, and which tokens are valid, comes from a Taxonomy.
package channel

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxChannelLen bounds the channels Derive reads; ATT&CK's longest is a few hundred bytes.
const MaxChannelLen = 4096

// Selector is what Derive makes of one channel.
type Selector struct {
	CEL    string // e.g. `event.EventCode in [4663, 4670, 4656]`; "" when not derived
	Field  string // the event field tested ("EventCode")
	Values []any  // int64 or string values; the event matches when Field equals one of them
	Reason string // why nothing was derived (non-empty iff CEL == "")
}

// Derived reports whether a selector was derived.
func (s Selector) Derived() bool { return s.CEL != "" }

// Derive reads a channel of logSource with the taxonomy and returns its selector, or a
// Reason when the channel cannot be read with confidence. A nil taxonomy knows no source:
// only explicit Field=value and "field: tokens" channels derive. Derive never panics.
func Derive(tax *Taxonomy, logSource, channel string) Selector {
	ch := strings.TrimSpace(channel)
	switch {
	case len(ch) > MaxChannelLen:
		return underived(fmt.Sprintf("invalid channel: longer than %d bytes", MaxChannelLen))
	case !utf8.ValidString(ch):
		return underived("invalid channel: not valid UTF-8")
	case ch == "":
		return underived("empty channel")
	case strings.EqualFold(ch, "none"):
		return underived("channel None")
	}
	var src *source
	if tax != nil {
		src = tax.lookup(logSource)
	}
	r := reader{tax: tax, src: src, logSource: strings.TrimSpace(logSource)}
	field, values, reason := r.read(ch)
	if reason != "" {
		return underived(reason)
	}
	return Selector{CEL: selectorCEL(field, values), Field: field, Values: values}
}

func underived(reason string) Selector { return Selector{Reason: reason} }

// reader holds what Derive knows about the channel's source.
type reader struct {
	tax       *Taxonomy
	src       *source // nil when the taxonomy does not list the source
	logSource string
}

// hasField reports whether the source has a selector field with a vocabulary.
func (r reader) hasField() bool { return r.src != nil && r.src.field != "" && r.src.vocab != nil }

// read tries each form of the grammar in turn; exactly one of field and reason is set.
func (r reader) read(ch string) (field string, values []any, reason string) {
	if m := membership.FindStringSubmatch(ch); m != nil {
		return r.membership(m[1], m[2])
	}
	if m := assignHead.FindStringSubmatch(ch); m != nil && !strings.HasPrefix(ch[len(m[0]):], "=") {
		return r.assignment(m[1], m[2] != "" || m[3] != "", ch[len(m[0]):])
	}
	if r.hasField() {
		values, bad, ok := r.tokenList(ch)
		if ok {
			return r.src.field, values, ""
		}
		if bad != "" && tokenShaped(ch) {
			return "", nil, r.invalidToken(bad)
		}
	}
	if head, tail, ok := strings.Cut(ch, ": "); ok {
		if field, values, reason := r.labelled(head, strings.TrimSpace(tail)); field != "" || reason != "" {
			return field, values, reason
		}
	}
	if r.hasField() && r.src.vocab.closed() {
		if field, values, reason := r.leadingTokens(ch); field != "" || reason != "" {
			return field, values, reason
		}
	}
	if !r.hasField() {
		return "", nil, fmt.Sprintf("no selector field: the taxonomy gives log source %q none, and the channel has no Field=value", r.logSource)
	}
	return "", nil, "prose: no field=value or token list"
}

func (r reader) invalidToken(tok string) string {
	return fmt.Sprintf("invalid token: %q is not among the %s values of field %s for %s", tok, r.src.vocab.describe(), r.src.field, r.logSource)
}

// tokenList reads the whole channel as one token, or as a list of tokens, of the source's
// field. bad is the first token that is not a value, when the channel is a list.
func (r reader) tokenList(ch string) (values []any, bad string, ok bool) {
	if v, ok := r.src.vocab.value(ch); ok {
		return []any{v}, "", true
	}
	return r.values(splitList(ch))
}

// values converts tokens to values of the source's field; bad is the first that is not one.
func (r reader) values(tokens []string) (values []any, bad string, ok bool) {
	for _, tok := range tokens {
		v, ok := r.src.vocab.value(tok)
		if !ok {
			return nil, tok, false
		}
		values = appendUnique(values, v)
	}
	return values, "", len(values) > 0
}

// assignment reads "Field=value[, value ...] [prose]". spaced is true for "Field = value",
// which is accepted only when nothing follows the values.
func (r reader) assignment(field string, spaced bool, rest string) (string, []any, string) {
	if r.tax != nil && r.tax.freeText[field] {
		return "", nil, fmt.Sprintf("free-text field: %s holds free text, equality with a word would not match", field)
	}
	var raw []rawValue
	for {
		v, after, ok := scanValue(rest)
		if !ok {
			return "", nil, fmt.Sprintf("unclean value: %s=%s is not a plain value", field, firstWord(rest))
		}
		raw = append(raw, v)
		rest = after
		if rest != "" && !startsWithSpace(rest) && !strings.HasPrefix(rest, ",") && !strings.HasPrefix(rest, "|") {
			return "", nil, fmt.Sprintf("unclean value: %s=%s%s is not a plain value", field, v.text, firstWord(rest))
		}
		sep := valueSep.FindString(rest)
		if sep == "" {
			break
		}
		rest = rest[len(sep):]
		if m := assignHead.FindStringSubmatch(rest); m != nil {
			if m[1] != field {
				return "", nil, fmt.Sprintf("multiple conditions: %s and %s", field, m[1])
			}
			rest = rest[len(m[0]):]
		}
	}
	if reason := assignmentTail(field, spaced, len(raw), strings.TrimSpace(rest)); reason != "" {
		return "", nil, reason
	}
	values, reason := r.typedValues(field, raw)
	if reason != "" {
		return "", nil, reason
	}
	return field, values, ""
}

// membership reads "Field in (a, b, c)".
func (r reader) membership(field, list string) (string, []any, string) {
	if r.tax != nil && r.tax.freeText[field] {
		return "", nil, fmt.Sprintf("free-text field: %s holds free text, equality with a word would not match", field)
	}
	var raw []rawValue
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		v, after, ok := scanValue(item)
		if !ok || after != "" {
			return "", nil, fmt.Sprintf("unclean value: %q in %s in (...) is not a plain value", item, field)
		}
		raw = append(raw, v)
	}
	values, reason := r.typedValues(field, raw)
	if reason != "" {
		return "", nil, reason
	}
	return field, values, ""
}

// assignmentTail judges the prose after an assignment's values.
func assignmentTail(field string, spaced bool, nvalues int, tail string) string {
	switch {
	case tail == "":
		return ""
	case condition.MatchString(tail) || conjunction.MatchString(tail):
		return fmt.Sprintf("multiple conditions: %s=... is followed by %q", field, tail)
	case spaced:
		return fmt.Sprintf("ambiguous: %q after `%s = ...`", tail, field)
	case nvalues > 1:
		return fmt.Sprintf("ambiguous: the value list of %s runs into prose %q", field, tail)
	}
	return ""
}

// typedValues types an assignment's values: integers as int64 unless quoted. When the field
// is the source's selector field, the values must be valid for it.
func (r reader) typedValues(field string, raw []rawValue) ([]any, string) {
	var values []any
	for _, v := range raw {
		var val any = v.text
		if !v.quoted && isDigits(v.text) {
			n, err := strconv.ParseInt(v.text, 10, 64)
			if err != nil {
				return nil, fmt.Sprintf("invalid token: %s=%s is out of range", field, v.text)
			}
			val = n
		}
		if r.hasField() && r.src.field == field {
			fv, ok := r.src.vocab.value(v.text)
			if !ok {
				return nil, r.invalidToken(v.text)
			}
			val = fv
		}
		values = appendUnique(values, val)
	}
	return values, ""
}

// labelled reads "head: tail": either tokens of the source's field followed by prose
// ("execve: Execution of ..."), or an event field name followed by its values
// ("api_call: CreateProcessWithTokenW, CreateProcessAsUserW"). It returns nothing when
// neither reading applies.
func (r reader) labelled(head, tail string) (string, []any, string) {
	tailTokens := splitList(tail)
	tailIsList := allClean(tailTokens)
	if r.hasField() {
		if values, _, ok := r.values(splitList(head)); ok {
			if _, _, tailValid := r.values(tailTokens); tailIsList && (tailValid || fieldName.MatchString(head)) {
				return "", nil, fmt.Sprintf("ambiguous: %q may be a %s value or a label for %q", head, r.src.field, tail)
			}
			return r.src.field, values, ""
		}
	}
	if !fieldName.MatchString(head) || !tailIsList {
		return "", nil, ""
	}
	if r.tax != nil && r.tax.freeText[head] {
		return "", nil, fmt.Sprintf("free-text field: %s holds free text, equality with a word would not match", head)
	}
	raw := make([]rawValue, len(tailTokens))
	for i, tok := range tailTokens {
		raw[i] = rawValue{text: tok}
	}
	values, reason := r.typedValues(head, raw)
	if reason != "" {
		return "", nil, reason
	}
	return head, values, ""
}

// leadingTokens reads "tokens connector prose" for closed word lists: "execve of curl",
// "open/write syscalls targeting /dev/sd*".
func (r reader) leadingTokens(ch string) (string, []any, string) {
	m := leadList.FindStringSubmatch(ch)
	if m == nil {
		return "", nil, ""
	}
	list, next, rest := m[1], m[2], ch[len(m[0]):]
	tokens := splitList(list)
	values, bad, ok := r.values(tokens)
	switch {
	case commandWords[next] && (ok || len(tokens) > 1):
		return "", nil, fmt.Sprintf("command: %q names commands, not %s values", list, r.src.field)
	case !connectors[next] || (next == "system" && !systemCall.MatchString(rest)):
		return "", nil, ""
	case !ok && len(tokens) == 1:
		return "", nil, "" // a sentence: "Execution of ..."
	case !ok:
		return "", nil, r.invalidToken(bad)
	case len(tokens) == 1 && englishWords[tokens[0]] && !callWords[next]:
		return "", nil, "" // "access to ...", "time of ..."
	}
	if reason := r.alternatives(rest); reason != "" {
		return "", nil, reason
	}
	return r.src.field, values, ""
}

// alternatives rejects prose that may add other events: "ptrace syscall or access to ...",
// "open of X followed by write".
func (r reader) alternatives(prose string) string {
	if strings.Contains(prose, "followed by") {
		return "ambiguous: \"followed by\" names a further event"
	}
	for _, m := range alternative.FindAllStringSubmatch(prose, -1) {
		if _, ok := r.src.vocab.value(m[1]); ok || eventNouns[strings.ToLower(m[1])] {
			return fmt.Sprintf("ambiguous: %q may select events other than the leading tokens", strings.TrimSpace(m[0]))
		}
	}
	return ""
}

// rawValue is one value of an assignment as written.
type rawValue struct {
	text   string
	quoted bool
}

// scanValue reads a quoted string or a plain token at the start of s.
func scanValue(s string) (rawValue, string, bool) {
	m := valueToken.FindStringSubmatch(s)
	if m == nil {
		return rawValue{}, s, false
	}
	after := s[len(m[0]):]
	switch {
	case m[1] != "":
		return rawValue{text: m[1][1 : len(m[1])-1], quoted: true}, after, m[1] != "''"
	case m[2] != "":
		return rawValue{text: m[2][1 : len(m[2])-1], quoted: true}, after, m[2] != `""`
	}
	return rawValue{text: strings.TrimRight(m[3], "."), quoted: false}, after, true
}

// splitList splits a token list at commas, slashes, bars and the words or/and/OR/AND
// ("a, b, or c", "a/b", "a or b"). Tokens keep inner single spaces ("Add member to role");
// empty tokens are kept, so that "a,,b" is not a clean list.
func splitList(s string) []string {
	var items []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ',' && s[i] != '/' && s[i] != '|' {
			continue
		}
		words := strings.Fields(s[start:i])
		if start > 0 && s[start-1] == ',' && len(words) > 1 && isConjunction(words[0]) {
			words = words[1:] // ", or c"
		}
		items = append(items, splitWords(words)...)
		start = i + 1
	}
	return items
}

// splitWords groups words between the conjunctions or/and/OR/AND into tokens.
func splitWords(words []string) []string {
	var items []string
	from := 0
	for i, w := range words {
		if isConjunction(w) {
			items = append(items, strings.Join(words[from:i], " "))
			from = i + 1
		}
	}
	return append(items, strings.Join(words[from:], " "))
}

// tokenShaped reports whether a channel is a list of words without spaces ("open, EXECVE").
func tokenShaped(ch string) bool {
	for _, t := range splitList(ch) {
		if t == "" || strings.ContainsAny(t, " \t") {
			return false
		}
	}
	return true
}

func allClean(tokens []string) bool {
	for _, t := range tokens {
		if !cleanToken.MatchString(t) {
			return false
		}
	}
	return len(tokens) > 0
}

func appendUnique(values []any, v any) []any {
	for _, have := range values {
		if have == v {
			return values
		}
	}
	return append(values, v)
}

func startsWithSpace(s string) bool { return s != "" && (s[0] == ' ' || s[0] == '\t') }

func firstWord(s string) string {
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i]
	}
	return s
}

var (
	// assignHead matches "Field=" or "Field = " at the start of a string.
	assignHead = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(\s*)=(\s*)`)
	// membership matches "Field in (a, b)" as a whole channel.
	membership = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s+(?:in|IN)\s*[(\[{]([^()\[\]{}]*)[)\]}]$`)
	// valueToken matches a quoted string or a plain token.
	valueToken = regexp.MustCompile(`^(?:('[A-Za-z0-9_.:/@ -]*')|("[A-Za-z0-9_.:/@ -]*")|([A-Za-z0-9_][A-Za-z0-9_.\-]*))`)
	// valueSep separates the values of one assignment.
	valueSep = regexp.MustCompile(`^(?:\s*,\s*(?:or\s+)?|\s*\|\s*|\s+(?:or|OR)\s+)`)
	// condition finds a further comparison in prose after an assignment.
	condition = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*\s*(?:==|!=|=|<|>)|\b(?:IN|CONTAINS|LIKE)\b`)
	// conjunction is prose that starts with another condition.
	conjunction = regexp.MustCompile(`^(?:and|AND|&&|or|OR|\|\|)\b`)
	// leadList matches a token list at the start of a channel and the word after it.
	leadList = regexp.MustCompile(`^([^\s,/|:]+(?:(?:\s*,\s*(?:(?:or|and)\s+)?|\s*[/|]\s*|\s+(?:or|and)\s+)[^\s,/|:]+)*)\s+(\S+)`)
	// systemCall is the rest of "system call(s)".
	systemCall = regexp.MustCompile(`^\s+calls?\b`)
	// alternative finds "or X" in prose.
	alternative = regexp.MustCompile(`\b(?:or|OR)\s+([A-Za-z_]+)`)
	// cleanToken is a plain value: a word, a dotted name, a cmdlet.
	cleanToken = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-]*$`)
	// fieldName is a head that reads as an event field name: snake_case, camelCase, or
	// PascalCase ending in a usual field suffix (CmdletName, EventType).
	fieldName = regexp.MustCompile(`^(?:[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+|[A-Z][A-Za-z0-9]*(?:Name|Type|Id|ID|Code|State|Status|Path|Action|Operation|Event|Class))$`)
)

// connectors may follow a leading token list when prose goes on about those events.
var connectors = map[string]bool{
	"of": true, "on": true, "to": true, "for": true, "with": true, "from": true, "in": true,
	"by": true, "under": true, "against": true, "targeting": true, "call": true, "calls": true,
	"syscall": true, "syscalls": true, "system": true, "activity": true, "access": true,
	"attempts": true, "events": true, "requests": true, "operations": true,
}

// callWords after a leading token say outright that it is a call: "kill syscalls".
var callWords = map[string]bool{"call": true, "calls": true, "syscall": true, "syscalls": true, "system": true}

// englishWords are vocabulary tokens that are also everyday words; alone before prose they
// are read as words ("access to BPF devices") unless a call word follows.
var englishWords = map[string]bool{
	"access": true, "time": true, "sync": true, "select": true, "pause": true, "alarm": true,
	"link": true, "mount": true, "kill": true, "get": true, "list": true, "watch": true,
	"start": true, "stop": true, "create": true, "update": true, "delete": true, "patch": true,
}

// commandWords after a leading token list say the tokens are commands, not field values.
var commandWords = map[string]bool{
	"command": true, "commands": true, "executed": true, "run": true, "runs": true,
	"invoked": true, "utility": true, "utilities": true, "tool": true, "tools": true,
	"binary": true, "binaries": true,
}

// eventNouns after "or" in prose name a further kind of event.
var eventNouns = map[string]bool{
	"access": true, "accesses": true, "writing": true, "reading": true, "writes": true,
	"reads": true, "execution": true, "creation": true, "deletion": true,
	"modification": true, "opening": true,
}

func isConjunction(w string) bool { return w == "or" || w == "and" || w == "OR" || w == "AND" }
