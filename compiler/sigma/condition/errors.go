package condition

import (
	"fmt"
	"strings"
)

// Error is one problem in a condition, at a position inside it.
type Error struct {
	At  Position
	Msg string
}

// Error renders "line:col: message".
func (e *Error) Error() string {
	return e.At.String() + ": " + e.Msg
}

// Errors is every problem found in a condition, in the order found. A syntax error ends the
// parse, so it is the last; resolution errors (unknown identifiers, patterns matching
// nothing) are all reported.
type Errors []*Error

// Error joins the errors, one a line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es *Errors) add(at Position, format string, args ...any) {
	*es = append(*es, &Error{At: at, Msg: fmt.Sprintf(format, args...)})
}
