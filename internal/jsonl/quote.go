package jsonl

import (
	"strconv"
	"unicode/utf8"
)

// MaxQuotedBytes is how much of a value from the input a message quotes (Quote): a 5 MB
// `time` is shown by its first 80 bytes and its length, not echoed whole to stderr.
const MaxQuotedBytes = 80

// Quote quotes a value from the input for a message, as %q does, bounded: a value longer
// than MaxQuotedBytes is cut at a character boundary and followed by its length, e.g.
// `"aaaa…"… (5,242,880 bytes)`. Every rejection that echoes a value the user wrote goes
// through it.
func Quote(s string) string {
	prefix, rest := cut(s)
	return strconv.Quote(prefix) + rest
}

// clip is Quote without the quotes, for literals such as numbers.
func clip(s string) string {
	prefix, rest := cut(s)
	return prefix + rest
}

// cut splits s into a prefix of at most MaxQuotedBytes bytes and what to show for the rest:
// "" when nothing is cut, else "… (N bytes)" with N the length of s.
func cut(s string) (prefix, rest string) {
	if len(s) <= MaxQuotedBytes {
		return s, ""
	}
	n := MaxQuotedBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], "… (" + thousands(len(s)) + " bytes)"
}

// thousands formats n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
