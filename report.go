package stixcel

import (
	"fmt"
	"io"

	"github.com/stixcel/stixcel/diag"
)

// WriteSummary writes what loading read, as every command says it on stderr: each of the
// bundles' warnings as "warning: …", then "loaded " and what the index holds. It returns the
// first write error.
func (l *Loaded) WriteSummary(w io.Writer) error {
	for _, warning := range l.Warnings {
		if _, err := fmt.Fprintf(w, "warning: %s\n", warning); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "loaded %s\n", l.Index.Stats)
	return err
}

// InputsError is the error of inputs whose loading or compiling found errors: Errors of the
// diagnostics, which are reported on their own, are errors.
type InputsError struct {
	Errors int
}

func (e *InputsError) Error() string { return fmt.Sprintf("%d error(s) in the inputs", e.Errors) }

// ErrorsIn is nil when no diagnostic of diags is an error, else an *InputsError counting
// them (warnings never fail the inputs).
func ErrorsIn(diags diag.Diagnostics) error {
	if n := diags.ErrorCount(); n > 0 {
		return &InputsError{Errors: n}
	}
	return nil
}
