package tester

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/runtime"
)

// compare matches the test's expectations with the alerts, each expectation to its own
// alert. It returns whether they agree (every expectation matched, no alert left over) and,
// when they do not, a diff: "-" expected alerts that did not come, "+" alerts nobody
// expected, " " the pairs that matched.
func compare(tc *pack.TestCase, alerts []*runtime.Alert, stats runtime.Stats) (string, bool) {
	pairs := matchAlerts(tc.Expect, alerts)
	missing, extra := 0, 0
	for _, a := range pairs {
		if a < 0 {
			missing++
		}
	}
	taken := make([]bool, len(alerts))
	for _, a := range pairs {
		if a >= 0 {
			taken[a] = true
		}
	}
	for _, t := range taken {
		if !t {
			extra++
		}
	}
	if missing == 0 && extra == 0 {
		return "", true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "want %s, got %s: %s\n", plural(len(tc.Expect), "alert"), plural(len(alerts), "alert"), mismatch(missing, extra))
	for i, x := range tc.Expect {
		if pairs[i] < 0 {
			fmt.Fprintf(&b, "- %s (expected at %s)\n", describeExpectation(x), x.Pos)
		} else {
			fmt.Fprintf(&b, "  %s\n", AlertText(alerts[pairs[i]]))
		}
	}
	for i, a := range alerts {
		if !taken[i] {
			fmt.Fprintf(&b, "+ %s\n", AlertText(a))
		}
	}
	for _, e := range stats.ErrorsBy {
		fmt.Fprintf(&b, "note: %s of %s %s failed to evaluate (counted as false): %s\n",
			plural(int(e.Count), "evaluation"), e.Analytic, e.Channel, e.Example)
	}
	return strings.TrimSuffix(b.String(), "\n"), false
}

func mismatch(missing, extra int) string {
	var parts []string
	if missing > 0 {
		parts = append(parts, fmt.Sprintf("%d missing", missing))
	}
	if extra > 0 {
		parts = append(parts, fmt.Sprintf("%d unexpected", extra))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// matchAlerts pairs expectations with distinct alerts, as many as possible (a bipartite
// matching by augmenting paths, so that a loose expectation never takes the only alert a
// stricter one could match). pairs[i] is the alert of expectation i, or -1.
func matchAlerts(expect []pack.Expectation, alerts []*runtime.Alert) []int {
	fits := make([][]int, len(expect))
	for i, x := range expect {
		for j, a := range alerts {
			if matches(x, a) {
				fits[i] = append(fits[i], j)
			}
		}
	}
	owner := make([]int, len(alerts)) // expectation holding each alert, or -1
	for j := range owner {
		owner[j] = -1
	}
	var augment func(i int, seen []bool) bool
	augment = func(i int, seen []bool) bool {
		for _, j := range fits[i] {
			if seen[j] {
				continue
			}
			seen[j] = true
			if owner[j] < 0 || augment(owner[j], seen) {
				owner[j] = i
				return true
			}
		}
		return false
	}
	for i := range expect {
		augment(i, make([]bool, len(alerts)))
	}
	pairs := make([]int, len(expect))
	for i := range pairs {
		pairs[i] = -1
	}
	for j, i := range owner {
		if i >= 0 {
			pairs[i] = j
		}
	}
	return pairs
}

// matches reports whether alert a satisfies expectation x: same analytic, and each field of
// the expected group present in the alert's group with the same JSON value.
func matches(x pack.Expectation, a *runtime.Alert) bool {
	if x.Analytic.Value != a.Analytic {
		return false
	}
	for k, want := range x.Group {
		got, ok := a.Group[k]
		if !ok || !sameJSON(want, got) {
			return false
		}
	}
	return true
}

func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

func describeExpectation(x pack.Expectation) string {
	if x.Group == nil {
		return x.Analytic.Value + " (any group)"
	}
	return x.Analytic.Value + " group " + GroupText(x.Group)
}

// describeAlert renders an alert's analytic, group, time span and matched channels.
func AlertText(a *runtime.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s group %s first %s last %s", a.Analytic, GroupText(a.Group),
		a.FirstSeen.UTC().Format(time.RFC3339Nano), a.LastSeen.UTC().Format(time.RFC3339Nano))
	if len(a.Channels) > 0 {
		b.WriteString(" channels")
		for _, c := range a.Channels {
			fmt.Fprintf(&b, " %s=%d", c.ID, c.Count)
		}
	}
	return b.String()
}

// groupJSON writes a group as one line of JSON with sorted keys.
func GroupText(g map[string]any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(g)) {
		if i > 0 {
			b.WriteString(", ")
		}
		key, _ := json.Marshal(k)
		val, err := json.Marshal(g[k])
		if err != nil {
			val = []byte(fmt.Sprintf("%q", fmt.Sprint(g[k])))
		}
		fmt.Fprintf(&b, "%s: %s", key, val)
	}
	b.WriteByte('}')
	return b.String()
}
