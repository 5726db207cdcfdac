package condition

import (
	"fmt"
	"strings"
)

// Parse parses one condition. names are the search identifiers the rule's detection defines,
// in declared order; `x of` nodes list their matches in that order. The error, when not nil,
// is Errors.
func Parse(src string, names []string) (Node, error) {
	n, errs := parseItem(src, 0, newScope(names))
	if len(errs) > 0 {
		return nil, errs
	}
	return n, nil
}

// ParseList parses a condition written as a YAML list: the OR of its items, each item's
// positions carrying its index. A list of one item is that item. The error, when not nil, is
// Errors, holding the problems of every item.
func ParseList(srcs []string, names []string) (Node, error) {
	if len(srcs) == 0 {
		return nil, Errors{{At: Position{Line: 1, Col: 1}, Msg: "the condition list is empty"}}
	}
	s := newScope(names)
	var terms []Node
	var errs Errors
	for i, src := range srcs {
		n, itemErrs := parseItem(src, i, s)
		errs = append(errs, itemErrs...)
		terms = append(terms, n)
	}
	switch {
	case len(errs) > 0:
		return nil, errs
	case len(terms) == 1:
		return terms[0], nil
	}
	return &Or{At: terms[0].Pos(), Terms: terms}, nil
}

// parseItem parses one condition string; item is its index in a condition list.
func parseItem(src string, item int, s *scope) (Node, Errors) {
	p := &parser{lex: newLexer(src, item), scope: s}
	p.advance()
	if p.tok.kind == tokEOF {
		p.errs.add(p.tok.at, "the condition is empty")
		return nil, p.errs
	}
	n, err := p.parseOr()
	if err == nil {
		err = p.expectEnd(tokEOF, "the end of the condition")
	}
	if err != nil {
		p.errs = append(p.errs, err)
	}
	return n, p.errs
}

// parser is a recursive-descent parser over one condition; syntax errors are returned and end
// the parse, resolution errors are collected in errs.
type parser struct {
	lex   *lexer
	tok   token // the current token
	prev  token // the token before it
	scope *scope
	errs  Errors
	depth int // nested parentheses and nots being parsed
}

// MaxDepth bounds how deeply parentheses and `not` nest, so hostile input cannot exhaust the
// stack; SigmaHQ's rules nest at most a few levels.
const MaxDepth = 100

// enter counts one nesting level at the current token, refusing the one past MaxDepth.
func (p *parser) enter() *Error {
	p.depth++
	if p.depth > MaxDepth {
		return &Error{At: p.tok.at, Msg: fmt.Sprintf("the condition nests deeper than %d levels", MaxDepth)}
	}
	return nil
}

func (p *parser) advance() {
	p.prev = p.tok
	p.tok = p.lex.next()
}

// peek returns the token after the current one without consuming it.
func (p *parser) peek() token {
	l := *p.lex
	return l.next()
}

func (p *parser) isKeyword(word string) bool {
	return p.tok.kind == tokName && p.tok.text == word
}

// parseOr parses `and-expr (or and-expr)*`.
func (p *parser) parseOr() (Node, *Error) {
	terms, err := p.parseChain("or", p.parseAnd)
	if err != nil || len(terms) == 1 {
		return first(terms), err
	}
	return &Or{At: terms[0].Pos(), Terms: terms}, nil
}

// parseAnd parses `unary (and unary)*`.
func (p *parser) parseAnd() (Node, *Error) {
	terms, err := p.parseChain("and", p.parseUnary)
	if err != nil || len(terms) == 1 {
		return first(terms), err
	}
	return &And{At: terms[0].Pos(), Terms: terms}, nil
}

// parseChain parses operands separated by the keyword op.
func (p *parser) parseChain(op string, operand func() (Node, *Error)) ([]Node, *Error) {
	n, err := operand()
	if err != nil {
		return nil, err
	}
	terms := []Node{n}
	for p.isKeyword(op) {
		p.advance()
		if n, err = operand(); err != nil {
			return nil, err
		}
		terms = append(terms, n)
	}
	return terms, nil
}

func first(terms []Node) Node {
	if len(terms) == 0 {
		return nil
	}
	return terms[0]
}

// parseUnary parses `not unary | primary`.
func (p *parser) parseUnary() (Node, *Error) {
	if !p.isKeyword("not") {
		return p.parsePrimary()
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	at := p.tok.at
	p.advance()
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	return &Not{At: at, X: x}, nil
}

// parsePrimary parses `( expr ) | quantifier of target | identifier`.
func (p *parser) parsePrimary() (Node, *Error) {
	switch p.tok.kind {
	case tokLParen:
		return p.parseParens()
	case tokName:
		if next := p.peek(); next.kind == tokName && next.text == "of" {
			return p.parseOf()
		}
		return p.parseIdent()
	}
	return nil, p.unexpected("a search identifier, `not`, `1 of`, `all of` or `(`")
}

func (p *parser) parseParens() (Node, *Error) {
	open := p.tok
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.advance()
	x, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return nil, &Error{At: open.at, Msg: "this ( is never closed"}
	}
	if err := p.expectEnd(tokRParen, "`)`"); err != nil {
		return nil, err
	}
	p.advance()
	return x, nil
}

// expectEnd checks that the current token ends an expression: want (tokEOF or tokRParen).
func (p *parser) expectEnd(want kind, wantText string) *Error {
	switch {
	case p.tok.kind == want:
		return nil
	case p.tok.kind == tokRParen:
		return &Error{At: p.tok.at, Msg: "unexpected `)`: there is no ( to close"}
	case p.tok.kind == tokName && isOperatorWord(strings.ToLower(p.tok.text)):
		return &Error{At: p.tok.at, Msg: fmt.Sprintf("unexpected %q: Sigma's operators are lowercase (write `%s`)",
			p.tok.text, strings.ToLower(p.tok.text))}
	}
	return p.unexpected("`and`, `or` or " + wantText)
}

// unexpected reports the current token where want was expected.
func (p *parser) unexpected(want string) *Error {
	t := p.tok
	switch t.kind {
	case tokPipe:
		return &Error{At: t.at, Msg: "`|` begins a Sigma v1 aggregation (such as `| count() > 5`), " +
			"which Sigma v2 removed: write a correlation rule instead"}
	case tokBad:
		if t.text == "?" {
			return &Error{At: t.at, Msg: "unexpected character \"?\": condition patterns have only the `*` wildcard"}
		}
		return &Error{At: t.at, Msg: fmt.Sprintf("unexpected character %q", t.text)}
	}
	after := ""
	if p.prev.kind == tokName && isOperatorWord(p.prev.text) {
		after = " after `" + p.prev.text + "`"
	}
	return &Error{At: t.at, Msg: fmt.Sprintf("expected %s%s, found %s", want, after, t.describe())}
}

// isOperatorWord reports whether w is one of Sigma's reserved words that cannot name an
// identifier in a condition.
func isOperatorWord(w string) bool {
	return w == "and" || w == "or" || w == "not" || w == "of"
}

func (p *parser) parseIdent() (Node, *Error) {
	t := p.tok
	switch {
	case isOperatorWord(t.text):
		return nil, p.unexpected("a search identifier, `not`, `1 of`, `all of` or `(`")
	case strings.Contains(t.text, "*"):
		return nil, &Error{At: t.at, Msg: fmt.Sprintf("the pattern %q needs `1 of` or `all of` before it", t.text)}
	}
	p.advance()
	if !p.scope.defined[t.text] {
		p.errs.add(t.at, "unknown search identifier %q%s: %s", t.text, identHint(t.text), p.scope.describe())
	}
	return &Ident{At: t.at, Name: t.text}, nil
}

// identHint explains a name that looks like a misspelt keyword.
func identHint(name string) string {
	lower := strings.ToLower(name)
	switch {
	case isOperatorWord(lower):
		return " (Sigma's operators are lowercase: `" + lower + "`)"
	case lower == "them":
		return " (`them` stands for the search identifiers only after `1 of` or `all of`)"
	}
	return ""
}

// parseOf parses `quantifier of target`; the current token is the quantifier.
func (p *parser) parseOf() (Node, *Error) {
	qt := p.tok
	quant, err := quantifier(qt)
	if err != nil {
		return nil, err
	}
	p.advance() // the quantifier
	p.advance() // of
	target := p.tok
	if target.kind != tokName || isOperatorWord(target.text) {
		return nil, p.unexpected("`them` or a search-identifier pattern")
	}
	p.advance()
	names := p.scope.match(target.text)
	if len(names) == 0 {
		p.errs.add(target.at, "`%s of %s` matches no search identifier%s: %s",
			qt.text, target.text, p.scope.underscoreHint(target.text), p.scope.describe())
	}
	return &Of{At: qt.at, Quant: quant, Target: target.text, Names: names}, nil
}

// quantifier reads the word before `of`: Sigma has only `1` and `all`.
func quantifier(t token) (Quantifier, *Error) {
	switch t.text {
	case "1":
		return One, nil
	case "all":
		return All, nil
	}
	var msg string
	switch lower := strings.ToLower(t.text); {
	case lower == "all":
		msg = fmt.Sprintf("`%s of`: Sigma's keywords are lowercase (write `all of`)", t.text)
	case lower == "any":
		msg = fmt.Sprintf("`%s of` is not in the Sigma specification: write `1 of`", t.text)
	case isNumber(t.text):
		msg = fmt.Sprintf("`%s of` is not in the Sigma specification, which has only `1 of` and `all of`", t.text)
	default:
		msg = fmt.Sprintf("expected `1` or `all` before `of`, found %q", t.text)
	}
	return 0, &Error{At: t.at, Msg: msg}
}

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
