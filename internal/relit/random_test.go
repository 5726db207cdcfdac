package relit

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// atoms are the pieces random patterns are made of: case-folding letters with non-ASCII
// orbits, anchors, assertions, classes, escapes and non-ASCII runes.
var atoms = []string{
	"a", "k", "s", "K", "S", "ab", "ks", `\\`, `\.`, ".", "é", "€", `\x{212A}`, `\x{17F}`,
	"^", "$", `\A`, `\z`, `\b`, `\B`, "[kK]", "[ks]", "[a-c]", `\s`, `\d`, "[^a]", "(?i:k)", "(?-i:s)",
}

// subjectAtoms are the pieces random subjects are made of.
var subjectAtoms = []string{
	"a", "A", "k", "K", "\u212a", "s", "S", "\u017f", "b", "\\", ".", "é", "É", "€", "\xff", "\xe2\x84",
	"\n", " ", "1",
}

// randomPattern builds a small pattern from atoms, groups, alternations and repeats.
func randomPattern(rng *rand.Rand, depth int) string {
	var b strings.Builder
	for n := 1 + rng.Intn(4); n > 0; n-- {
		switch r := rng.Intn(10); {
		case r < 6 || depth > 2:
			b.WriteString(atoms[rng.Intn(len(atoms))])
		case r < 8:
			b.WriteString("(" + randomPattern(rng, depth+1) + "|" + randomPattern(rng, depth+1) + ")")
		default:
			b.WriteString("(" + randomPattern(rng, depth+1) + ")" + []string{"?", "*", "+", "{2}", "{1,2}", "??"}[rng.Intn(6)])
		}
	}
	return b.String()
}

// randomSubject builds a subject from subjectAtoms.
func randomSubject(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.Intn(7); n > 0; n-- {
		b.WriteString(subjectAtoms[rng.Intn(len(subjectAtoms))])
	}
	return b.String()
}

// TestRandomPatterns compares relit with the regexp on random patterns built to hit the
// analysis' corners, and on random subjects made of folding, non-ASCII and invalid bytes.
func TestRandomPatterns(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	n := 4000
	if testing.Short() {
		n = 500
	}
	flags := []string{"", "(?i)", "(?m)", "(?s)", "(?i)(?m)"}
	kinds := map[kind]int{}
	for i := 0; i < n; i++ {
		p := flags[rng.Intn(len(flags))] + randomPattern(rng, 0)
		re, err := regexp.Compile(p)
		if err != nil {
			continue
		}
		m, err := Compile(p)
		require.NoError(t, err)
		kinds[m.kind]++
		subjects := make([]string, 0, 30)
		for _, l := range m.set.lits {
			subjects = append(subjects, variants(l.s)...)
		}
		for len(subjects) < cap(subjects) {
			subjects = append(subjects, randomSubject(rng))
		}
		for _, s := range subjects {
			require.Equal(t, re.MatchString(s), m.MatchString(s), "pattern %q (%s), subject %q", p, m.describe(), s)
		}
	}
	t.Logf("%d exact, %d prefilter, %d regexp", kinds[kindExact], kinds[kindPrefilter], kinds[kindRegexp])
}
