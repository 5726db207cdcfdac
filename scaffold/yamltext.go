package scaffold

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/stixcel/stixcel/internal/termsafe"
)

// Text from bundles (ids, names, channel texts, descriptions, mutable elements) goes into
// the YAML that stixcel new writes; these helpers keep it inside the comment, key or scalar
// it was written for, so that the file reads back as the same binding.

// plainScalar matches the names written unquoted: an ATT&CK id or an identifier.
var plainScalar = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

// yamlWords are the plain scalars YAML 1.1 or 1.2 reads as something other than a string.
var yamlWords = map[string]bool{"true": true, "false": true, "null": true, "yes": true, "no": true, "on": true, "off": true, "y": true, "n": true}

// scalar writes s as a YAML scalar that reads back as the string s: as it is when it is a
// plain name, else double-quoted.
func scalar(s string) string {
	if plainScalar.MatchString(s) && !yamlWords[strings.ToLower(s)] {
		return s
	}
	return quote(s)
}

// writeComment writes text as one comment line after indent: its line breaks, controls and
// the characters YAML does not allow are written as escapes (\n, \x1b, \u202e).
func writeComment(b *strings.Builder, indent, text string) {
	b.WriteString(indent + "# " + escapeUnprintable(termsafe.Line(text)) + "\n")
}

// escapeUnprintable escapes, as \uXXXX, the characters YAML does not allow in a stream that
// JSON and termsafe leave as they are: U+0085 (a line break to YAML 1.1), DEL and the other
// C1 controls, U+FEFF, U+FFFE and U+FFFF.
func escapeUnprintable(s string) string {
	if !strings.ContainsFunc(s, unprintable) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unprintable(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unprintable(r rune) bool {
	return 0x7f <= r && r <= 0x9f || r == 0xfeff || r == 0xfffe || r == 0xffff
}

// fileID matches the analytic ids that can name a binding file of their own.
var fileID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$`)

// FileName is the name of the binding file stixcel new writes for the analytic id: the id
// and ".yaml". An id that cannot be one file name in the output directory (a path separator,
// "..", a control character: bundles are not trusted to name files) is an error.
func FileName(id string) (string, error) {
	if !fileID.MatchString(id) || strings.Contains(id, "..") {
		return "", fmt.Errorf("analytic id %s cannot name a binding file: want letters, digits, '.', '-' and '_' (an id that holds a path would write outside -o)", termsafe.Line(quote(id)))
	}
	return id + ".yaml", nil
}
