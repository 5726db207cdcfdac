package lint

import (
	"fmt"
	"io"
	"strings"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/hints"
	"github.com/stixcel/stixcel/pack"
)

// WriteSummary writes what follows the findings of a text lint: the count of errors and
// warnings, then which bindings of packs were checked for syntax only because their analytic
// is not in ix, and which bundle to pass: a lint that passes over them checked less than it
// seems. isError says those findings are errors already (--strict, or bundles the user
// named), so the hint does not offer --strict.
func WriteSummary(w io.Writer, diags diag.Diagnostics, ix *attack.Index, packs []*pack.Pack, isError bool) error {
	errs := 0
	for _, d := range diags {
		if d.Severity == diag.SeverityError {
			errs++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d errors, %d warnings\n", errs, len(diags)-errs)
	if waiting := hints.WaitingBindings(packs, func(id string) bool { return ix.Analytic(id) != nil }); len(waiting) > 0 {
		b.WriteString(syntaxOnlyHint(waiting, isError))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// syntaxOnlyHint names the waiting bindings (at most hints.MaxHintIDs) and the --bundle
// flags that would load their analytics.
func syntaxOnlyHint(waiting []*pack.Binding, isError bool) string {
	ids := make([]string, 0, len(waiting))
	for _, b := range waiting {
		ids = append(ids, b.Analytic.Value)
	}
	more := ""
	if len(ids) > hints.MaxHintIDs {
		ids, more = ids[:hints.MaxHintIDs], fmt.Sprintf(" and %d more", len(ids)-hints.MaxHintIDs)
	}
	what := fmt.Sprintf("%d bindings were checked for syntax only, their analytics not loaded", len(waiting))
	if len(waiting) == 1 {
		what = "1 binding was checked for syntax only, its analytic not loaded"
	}
	consequence := " (lint --strict makes this an error)"
	if isError {
		consequence = ""
	}
	return fmt.Sprintf("hint: %s (%s%s): pass %s%s\n", what, strings.Join(ids, ", "), more, hints.BundleFlagsFor(waiting), consequence)
}
