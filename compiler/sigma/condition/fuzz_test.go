package condition

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParse checks that no input crashes the parser, that a failure always says where, and
// that a success evaluates without panicking.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"a", "a and not (b or 1 of s*)", "all of them", "1 of _x*", "a | count() > 5",
		"((a)", "not", "a AND b", "é and\n b", "2 of them", "1 of sel?",
	} {
		f.Add(seed)
	}
	names := []string{"a", "b", "s1", "s2", "_x1", "é"}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := Parse(src, names)
		if err != nil {
			var errs Errors
			require.ErrorAs(t, err, &errs)
			require.NotEmpty(t, errs)
			for _, e := range errs {
				assert.GreaterOrEqual(t, e.At.Line, 1, "%q: %v", src, e)
				assert.GreaterOrEqual(t, e.At.Col, 1, "%q: %v", src, e)
				assert.LessOrEqual(t, e.At.Offset, len(src), "%q: %v", src, e)
				if utf8.ValidString(src) {
					assert.True(t, utf8.ValidString(src[:e.At.Offset]), "%q: offset %d splits a character", src, e.At.Offset)
				}
			}
			return
		}
		Eval(n, func(name string) bool { return len(name)%2 == 0 })
		assert.NotEmpty(t, n.String())
	})
}
