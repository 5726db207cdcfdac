package tester

import (
	"errors"
	"fmt"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/hints"
	"github.com/stixcel/stixcel/pack"
)

// ErrFailed is the verdict of a run in which a case failed or could not run; the reporters
// said which, so the error has nothing to add.
var ErrFailed = errors.New("test cases failed")

// Verdict is the rule of when a test run fails (the CLI's exit 1): a case failed or could
// not run (ErrFailed), no case ran, or a case was skipped, its analytic not in ix, or is
// marked todo, unless allowSkip: a CI run must check what it claims to. The error of a
// skipped case names the --bundle flags that would load the analytics of the packs'
// bindings; nil when the run passes.
func (s Summary) Verdict(allowSkip bool, ix *attack.Index, packs []*pack.Pack) error {
	waiting := func() string {
		return hints.BundleFlagsFor(hints.WaitingBindings(packs, func(id string) bool { return ix.Analytic(id) != nil }))
	}
	switch {
	case !s.OK():
		return ErrFailed
	case s.Total == 0:
		return errors.New("no test case ran: none found")
	case s.Todo > 0 && !allowSkip:
		return fmt.Errorf("%d of %d test cases are marked todo: fill them in and remove todo, or --allow-skip", s.Todo, s.Total)
	case s.Total == s.Todo:
		return fmt.Errorf("no test case ran: all %d are marked todo", s.Total)
	case s.Total == s.Skipped+s.Todo:
		return fmt.Errorf("no test case ran: all %d skipped, their analytics not loaded; pass %s", s.Total, waiting())
	case s.Skipped > 0 && !allowSkip:
		return fmt.Errorf("%d of %d test cases skipped, their analytics not loaded: pass %s, or --allow-skip", s.Skipped, s.Total, waiting())
	}
	return nil
}
