package condition

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// kind is the kind of a token.
type kind int

const (
	tokEOF    kind = iota
	tokName        // a search identifier, a pattern, a number, or a keyword (decided by the parser)
	tokLParen      // (
	tokRParen      // )
	tokPipe        // | (Sigma v1 aggregation)
	tokBad         // any other character
)

// token is one lexeme of a condition with where it starts.
type token struct {
	kind kind
	text string
	at   Position
}

// describe names the token for an error message.
func (t token) describe() string {
	if t.kind == tokEOF {
		return "the end of the condition"
	}
	return fmt.Sprintf("%q", t.text)
}

// lexer splits a condition into tokens, tracking line and column.
type lexer struct {
	src  string
	item int
	off  int // byte offset of the next character
	line int
	col  int
}

func newLexer(src string, item int) *lexer {
	return &lexer{src: src, item: item, line: 1, col: 1}
}

// next returns the next token, skipping white space.
func (l *lexer) next() token {
	l.skipSpace()
	at := l.pos()
	if l.off >= len(l.src) {
		return token{kind: tokEOF, at: at}
	}
	r, size := utf8.DecodeRuneInString(l.src[l.off:])
	switch {
	case r == '(':
		l.advance(r, size)
		return token{kind: tokLParen, text: "(", at: at}
	case r == ')':
		l.advance(r, size)
		return token{kind: tokRParen, text: ")", at: at}
	case r == '|':
		l.advance(r, size)
		return token{kind: tokPipe, text: "|", at: at}
	case isNameRune(r):
		start := l.off
		for l.off < len(l.src) {
			r, size = utf8.DecodeRuneInString(l.src[l.off:])
			if !isNameRune(r) {
				break
			}
			l.advance(r, size)
		}
		return token{kind: tokName, text: l.src[start:l.off], at: at}
	default:
		l.advance(r, size)
		return token{kind: tokBad, text: string(r), at: at}
	}
}

// isNameRune reports whether r may appear in a search identifier or pattern.
func isNameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.' || r == '*'
}

func (l *lexer) skipSpace() {
	for l.off < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.off:])
		if !unicode.IsSpace(r) {
			return
		}
		l.advance(r, size)
	}
}

func (l *lexer) advance(r rune, size int) {
	l.off += size
	if r == '\n' {
		l.line++
		l.col = 1
		return
	}
	l.col++
}

func (l *lexer) pos() Position {
	return Position{Item: l.item, Offset: l.off, Line: l.line, Col: l.col}
}
