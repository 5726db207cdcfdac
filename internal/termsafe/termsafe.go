// Package termsafe makes text from bundles, packs and events safe to print on a terminal:
// it writes control characters and Unicode bidirectional controls as visible escapes, so
// that a field, a channel text or a name cannot move the cursor, clear the screen, set the
// window title, or reorder what a person reads (a right-to-left override that makes
// "exe.txt" read "txt.exe"). Writers of text for people (diagnostics, alert blocks,
// explain, diff) pass what they did not write themselves through it; JSON, SARIF and YAML
// writers escape by their own rules and do not need it.
//
// What is escaped: C0 controls (U+0000–U+001F) but the line feed and the tab where layout
// needs them, DEL (U+007F), C1 controls (U+0080–U+009F), the bidirectional marks, embeddings,
// overrides and isolates (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), the line and
// paragraph separators (U+2028, U+2029), and bytes that are not UTF-8. Controls below U+0080
// and stray bytes are written \xHH, the others \uHHHH. Everything else is kept as it is.
package termsafe

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Text escapes s for a terminal, keeping its line feeds and tabs: for text laid out in
// lines.
func Text(s string) string { return escape(s, true) }

// Line escapes s for a terminal as one line: line feeds and tabs are escaped too (\n, \t).
func Line(s string) string { return escape(s, false) }

// escape writes s with the characters unsafe on a terminal escaped; layout keeps "\n" and
// "\t". A string with nothing to escape is returned as it is, without allocating.
func escape(s string, layout bool) string {
	i := firstUnsafe(s, layout)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !unsafe(r, layout):
			b.WriteString(s[i : i+size])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// firstUnsafe is the offset of the first character or stray byte of s to escape, -1 when
// there is none.
func firstUnsafe(s string, layout bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || unsafe(r, layout) {
			return i
		}
		i += size
	}
	return -1
}

// unsafe reports whether r is escaped; layout keeps "\n" and "\t".
func unsafe(r rune, layout bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return !layout
	case r < 0x20 || 0x7f <= r && r <= 0x9f:
		return true
	}
	switch r {
	case 0x061c, 0x200e, 0x200f, 0x2028, 0x2029,
		0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
		0x2066, 0x2067, 0x2068, 0x2069:
		return true
	}
	return false
}

// NewWriter returns a writer that escapes what is written to w as Text does, one Write at
// a time (write whole lines or strings: a character split across two writes is escaped as
// its bytes). It reports the length of p as written when w took all of the escaped text.
func NewWriter(w io.Writer) io.Writer { return &writer{w: w} }

type writer struct{ w io.Writer }

func (t *writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(t.w, Text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
