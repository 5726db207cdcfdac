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

// TestRandomAnchoredLists compares relit with the regexp on long alternations anchored at
// the start, the end or both (a Sigma rule's startswith/endswith list compiled to one
// pattern), which relit decides with its literal index, on subjects built from the list's
// own literals with their case changed, parts cut and text added.
func TestRandomAnchoredLists(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	words := []string{"a", "k", "s", "dll", `\.`, `\\`, "K", "S", "x", "1", "-"}
	rare := []string{"é", "€", "\u212a", "."} // no index under (?i) (é, K), or none at all (.)
	unescape := strings.NewReplacer(`\.`, ".", `\\`, `\`)
	indexed, matched := 0, 0
	for i := 0; i < 300; i++ {
		n := indexFrom + rng.Intn(200)
		alts := make([]string, n)
		for j := range alts {
			var b strings.Builder
			for k := 1 + rng.Intn(6); k > 0; k-- {
				b.WriteString(words[rng.Intn(len(words))])
			}
			if rng.Intn(100) == 0 {
				b.WriteString(rare[rng.Intn(len(rare))])
			}
			alts[j] = b.String()
		}
		list := "(?:" + strings.Join(alts, "|") + ")"
		pattern := []string{"^" + list, list + "$", "^" + list + "$", `\A` + list + `\z`}[rng.Intn(4)]
		if rng.Intn(2) == 0 {
			pattern = "(?i)" + pattern
		}
		m, err := Compile(pattern)
		require.NoError(t, err, pattern)
		re := regexp.MustCompile(pattern)
		if m.set.index != nil {
			indexed++
		}
		for k := 0; k < 50; k++ {
			s := unescape.Replace(alts[rng.Intn(n)])
			switch rng.Intn(5) {
			case 0:
				s = strings.ToUpper(s)
			case 1:
				s = randomSubject(rng) + s
			case 2:
				s += randomSubject(rng)
			case 3:
				if len(s) > 1 {
					s = s[1:]
				}
			}
			want := re.MatchString(s)
			require.Equal(t, want, m.MatchString(s), "pattern %q subject %q", pattern, s)
			if want {
				matched++
			}
		}
	}
	t.Logf("%d of 300 lists indexed; %d of 15000 subjects matched", indexed, matched)
	require.Greater(t, indexed, 60, "many lists are decided by the index")
	require.Greater(t, matched, 3000, "the subjects match often enough to test matches")
}

// TestRequiredOfIsCompiledRequired: RequiredOf, which does not compile the pattern for
// matching, gives Compile's Required on random patterns, invalid ones included.
func TestRequiredOfIsCompiledRequired(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	flags := []string{"", "(?i)", "(?m)", "(?s)", "("}
	for i := 0; i < 2000; i++ {
		p := flags[rng.Intn(len(flags))] + randomPattern(rng, 0)
		var want []Literal
		var wantOK bool
		if m, err := Compile(p); err == nil {
			want, wantOK = m.Required()
		}
		got, ok := RequiredOf(p)
		require.Equal(t, wantOK, ok, "pattern %q", p)
		require.Equal(t, want, got, "pattern %q", p)
	}
}
