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

// TestRandomContainsLists is TestRandomAnchoredLists for lists of literal patterns united by
// Any, whose literals may stand anywhere, alone or beside anchored ones, each folding case
// or not: the index finds them in one automaton pass (litIndex.contains), on subjects short
// and past the 1 KiB a folded search lowers on the stack; the answer is the regexp's for
// their alternation.
func TestRandomContainsLists(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	words := []string{"a", "k", "s", "dll", `\.`, `\\`, "K", "S", "x", "1", "-", "é", "€", "👩🏻", "\u200d"}
	unescape := strings.NewReplacer(`\.`, ".", `\\`, `\`)
	indexed, matched := 0, 0
	for i := 0; i < 100; i++ {
		n := indexFrom + rng.Intn(100)
		alts := make([]string, n)
		for j := range alts {
			var b strings.Builder
			for k := 2 + rng.Intn(4); k > 0; k-- {
				b.WriteString(words[rng.Intn(len(words))])
			}
			alts[j] = b.String()
		}
		written := make([]string, n)
		for j, a := range alts {
			switch rng.Intn(8) {
			case 0:
				written[j] = "^" + a
			case 1:
				written[j] = a + "$"
			case 2:
				written[j] = "(?i:" + a + ")"
			default:
				written[j] = a
			}
		}
		flag := []string{"", "(?i)"}[rng.Intn(2)]
		parts := make([]*Matcher, n)
		for j, w := range written {
			parts[j] = MustCompile(flag + w)
		}
		m, ok := Any(parts)
		require.True(t, ok, "literal parts are exact")
		pattern := flag + "(?:" + strings.Join(written, "|") + ")"
		re := regexp.MustCompile(pattern)
		if m.set.index != nil && m.set.index.contains != nil {
			indexed++
		}
		for k := 0; k < 50; k++ {
			s := unescape.Replace(alts[rng.Intn(n)])
			switch rng.Intn(6) {
			case 0:
				s = strings.ToUpper(s)
			case 1:
				s = randomSubject(rng) + s + randomSubject(rng)
			case 2:
				s = strings.Repeat("Ab.", 350) + s // past 1 KiB
			case 3:
				if len(s) > 1 {
					s = s[1:]
				}
			case 4:
				s = randomSubject(rng)
			}
			want := re.MatchString(s)
			require.Equal(t, want, m.MatchString(s), "pattern %q subject %q", pattern, s)
			if want {
				matched++
			}
		}
	}
	t.Logf("%d of 100 lists indexed with an automaton; %d of 5000 subjects matched", indexed, matched)
	require.Greater(t, indexed, 80, "most lists are decided by the automaton")
	require.Greater(t, matched, 1000, "the subjects match often enough to test matches")
	require.Less(t, matched, 4000, "and fail often enough to test misses")
}

// TestLongListsAreIndexed: patterns that are each one literal, as SigmaHQ's emoji rules
// match a command line against a thousand (?is) ones, united by Any, are decided by the
// string tests alone, in one automaton pass.
func TestLongListsAreIndexed(t *testing.T) {
	var ms []*Matcher
	for r := rune(0x1F400); r < 0x1F400+300; r++ {
		ms = append(ms, MustCompile("(?is)"+string(r)+"\u200d♂️"))
	}
	m, ok := Any(ms)
	require.True(t, ok)
	require.True(t, m.Exact())
	require.NotNil(t, m.set.index)
	require.NotNil(t, m.set.index.contains)
	require.True(t, m.MatchString("cmd /c echo \U0001F401\u200d♂️"))
	require.False(t, m.MatchString("cmd /c echo \U0001F401"))
}

// TestAnyIsTheDisjunction: Any's matcher answers what one of its matchers answers, on
// random exact patterns (folded k and s among them, so that subjects holding U+212A or
// U+017F reach the parts) and random subjects; it refuses a matcher that is not exact.
func TestAnyIsTheDisjunction(t *testing.T) {
	rng := rand.New(rand.NewSource(17))
	words := []string{"a", "k", "s", "dll", `\.`, "é", "👩🏻", "x"}
	exact := 0
	for i := 0; i < 200; i++ {
		var ms []*Matcher
		for range 1 + rng.Intn(40) {
			var b strings.Builder
			b.WriteString([]string{"", "(?i)", "(?is)", "^", "(?i)^"}[rng.Intn(5)])
			for k := 1 + rng.Intn(3); k > 0; k-- {
				b.WriteString(words[rng.Intn(len(words))])
			}
			if rng.Intn(4) == 0 {
				b.WriteString("$")
			}
			m, err := Compile(b.String())
			require.NoError(t, err)
			ms = append(ms, m)
		}
		any, ok := Any(ms)
		require.True(t, ok, "exact patterns")
		exact++
		for k := 0; k < 60; k++ {
			s := randomSubject(rng) + strings.ToUpper(randomSubject(rng))
			want := false
			for _, m := range ms {
				want = want || m.MatchString(s)
			}
			require.Equal(t, want, any.MatchString(s), "subject %q of %s", s, any.String())
		}
	}
	_, ok := Any([]*Matcher{MustCompile("a"), MustCompile("a.*b")})
	require.False(t, ok, "a pattern the string tests do not decide")
	require.Equal(t, "(?:a)|(?:^b$)", func() string { m, _ := Any([]*Matcher{MustCompile("a"), MustCompile("^b$")}); return m.String() }())
}
