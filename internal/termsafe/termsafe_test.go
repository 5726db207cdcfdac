package termsafe

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestText(t *testing.T) {
	tests := []struct {
		name, in, text, line string
	}{
		{"plain", "AN1828 beacons on 4444 · é ☃ 😀", "AN1828 beacons on 4444 · é ☃ 😀", "AN1828 beacons on 4444 · é ☃ 😀"},
		{"layout kept by Text", "a\n\tb", "a\n\tb", `a\n\tb`},
		{"clear screen and title", "\x1b[2J\x1b]0;pwned\x07x", `\x1b[2J\x1b]0;pwned\x07x`, `\x1b[2J\x1b]0;pwned\x07x`},
		{"carriage return overwrites a line", "ok\rFAIL", `ok\x0dFAIL`, `ok\x0dFAIL`},
		{"DEL and C1 (CSI)", "a\x7fb\u009b2Jc\u0085", `a\x7fb\u009b2Jc\u0085`, `a\x7fb\u009b2Jc\u0085`},
		{"right-to-left override", "invoice\u202Etxt.exe", `invoice\u202etxt.exe`, `invoice\u202etxt.exe`},
		{"isolates and marks", "\u2066a\u2069\u200e\u200f\u061c", `\u2066a\u2069\u200e\u200f\u061c`, `\u2066a\u2069\u200e\u200f\u061c`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`, `a\xffb\xc3`},
		{"NUL", "a\x00b", `a\x00b`, `a\x00b`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.text, Text(tc.in))
			assert.Equal(t, tc.line, Line(tc.in))
		})
	}
}

// TestNothingUnsafeLeft: for every rune and every byte, what Text writes holds no control
// but the line feed and the tab, and no bidi control.
func TestNothingUnsafeLeft(t *testing.T) {
	var all []byte
	for r := rune(0); r < 0x3000; r++ {
		all = fmt.Appendf(all, "%c", r)
	}
	for c := 0x80; c < 0x100; c++ {
		all = append(all, byte(c))
	}
	for _, r := range Text(string(all)) {
		assert.False(t, unsafe(r, true), "%U left as is", r)
	}
	for _, r := range Line(string(all)) {
		assert.False(t, r < 0x20, "%U left as is", r)
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	n, err := fmt.Fprintf(w, "name: %s\n", "x\x1b[31m")
	require.NoError(t, err)
	assert.Equal(t, len("name: x\x1b[31m\n"), n)
	assert.Equal(t, "name: x\\x1b[31m\n", b.String())
}

func BenchmarkTextClean(b *testing.B) {
	s := "C:\\Windows\\System32\\cmd.exe /c whoami && echo done"
	for b.Loop() {
		_ = Text(s)
	}
}
