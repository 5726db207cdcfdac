package runtime

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

func TestDeriveNeed(t *testing.T) {
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	tests := []struct {
		name, expr string
		want       string // need.String(); "" for none
	}{
		{name: "contains", expr: `event.CommandLine.contains('Whoami')`, want: `[CommandLine:"whoami"]`},
		{name: "lowered and guarded", expr: `has(event.Image) && event.Image.lowerAscii().endsWith('\\cmd.exe')`,
			want: `[Image:"\\cmd.exe"/g]`},
		{name: "disjunction over fields",
			expr: `event.Image.startsWith('c:\\') || event.CommandLine == 'x' || event.User in ['a', 'bb', 3]`,
			want: `[Image:"c:\\" CommandLine=="x" User=="a" User=="bb" User==3]`},
		{name: "a lowered membership", expr: `event.User.lowerAscii() in ['A', 1]`, want: `[User:"a"]`},
		{name: "a membership of a bool", expr: `event.User in ['a', true]`},
		{name: "numbers across types", expr: `has(event.EventCode) && (event.EventCode == 4624 || event.EventCode == '4624' || event.EventCode == 7.0)`,
			want: `[EventCode==4624/g EventCode=="4624"/g EventCode==7/g]`},
		{name: "a fraction", expr: `event.EventCode == 1.5`},
		{name: "a branch without a literal", expr: `event.Image.contains('x') || event.EventCode > 1`},
		{name: "negation", expr: `!event.Image.contains('x')`},
		{name: "empty literal", expr: `event.Image.contains('')`},
		{name: "conjunction keeps each clause, most selective first",
			expr: `event.A.contains('ab') && event.EventCode == 1 && event.B.contains('abcdef')`,
			want: `[EventCode==1] [B:"abcdef"] [A:"ab"]`},
		{name: "case-insensitive regex with k", expr: `event.Image.matches('(?i)\\\\Kill\\.exe$')`, want: `[Image:"\\kill.exe"/k]`},
		{name: "regex without a literal", expr: `event.Image.matches('.*')`},
		{name: "regex alternation", expr: `matches(event.Image, 'ab(c|d)')`, want: `[Image:"abc" Image:"abd"]`},
		{name: "guard of another field", expr: `has(event.B) && event.A.contains('x')`, want: `[A:"x"]`},
		{name: "comprehension", expr: `['a'].exists(x, event.A.contains(x))`},
		{name: "size", expr: `event.A.size() > 2`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ast, iss := env.Compile(tc.expr)
			require.NoError(t, iss.Err())
			n := &needs{patterns: map[string]patternLits{}}
			got := n.of(ast.NativeRep().Expr()).String()
			assert.Equal(t, tc.want, got, "need of %s", tc.expr)
		})
	}
}

// String renders a need as its clauses, each as atoms: field:"literal" for a string test,
// field=="literal" and field==n for equalities, /g marking a guarded atom and /k one that
// U+212A or U+017F may match.
func (n need) String() string {
	parts := make([]string, len(n))
	for i, c := range n {
		atoms := make([]string, len(c))
		for j, a := range c {
			switch a.kind {
			case atomTest:
				atoms[j] = fmt.Sprintf("%s:%q", a.field, a.lit)
			case atomEqual:
				atoms[j] = fmt.Sprintf("%s==%q", a.field, a.lit)
			case atomNumber:
				atoms[j] = fmt.Sprintf("%s==%d", a.field, a.num)
			}
			if a.guarded {
				atoms[j] += "/g"
			}
			if a.ks {
				atoms[j] += "/k"
			}
		}
		parts[i] = "[" + strings.Join(atoms, " ") + "]"
	}
	return strings.Join(parts, " ")
}

// TestCandidateIndexAgrees is the index's property: over random channels (string tests of
// every shape the index reads, with and without lowerAscii and has() guards, under &&, ||
// and !, with parameters, regular expressions and quantifiers) and random events (strings
// in mixed case, with U+212A, U+017F and other non-ASCII letters, numbers, null, lists,
// missing fields), the engine gives the same outputs and the same Stats with the index as
// without, on one worker and on several, for events read from their JSON text and decoded
// into maps.
func TestCandidateIndexAgrees(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			g := &exprGen{r: rand.New(rand.NewSource(seed))}
			set := g.plans(120)
			events := g.events(600)
			for _, dec := range []event.Decoder{nil, event.Normalized{Fields: true}} { // raw-backed, map-backed
				want, wantStats := runJSONL(t, set, events, dec, WithCandidateIndex(false))
				for _, workers := range []int{1, 3} {
					got, gotStats := runJSONL(t, set, events, dec, WithWorkers(workers))
					require.Equal(t, want, got, "outputs with %d workers, decoder %T", workers, dec)
					require.Equal(t, wantStats, gotStats, "stats with %d workers, decoder %T", workers, dec)
				}
				assert.NotEmpty(t, want, "some channels match")
				assert.Positive(t, wantStats.EvalErrors, "some evaluations fail")
			}
			eng, err := New(set)
			require.NoError(t, err)
			require.NotNil(t, eng.shards[0].cands, "the channels have needs")
		})
	}
}

// TestCandidateIndexSkips checks that the property test is not vacuous: Evaluations shows
// the index leaving many of the channels reached unevaluated, and every one evaluated
// without it.
func TestCandidateIndexSkips(t *testing.T) {
	g := &exprGen{r: rand.New(rand.NewSource(7))}
	set, events := g.plans(120), g.events(600)
	count := func(opts ...Option) Evaluations {
		eng, err := New(set, opts...)
		require.NoError(t, err)
		r := event.NewReader(strings.NewReader(events), "stream.jsonl", nil)
		for {
			ev, rej, err := r.Next()
			if err != nil {
				break
			}
			require.Nil(t, rej)
			require.NoError(t, eng.Process(t.Context(), ev, func(Output) {}))
		}
		return eng.Evaluations()
	}
	off, on := count(WithCandidateIndex(false)), count()
	t.Logf("channels reached %d; evaluated %d without the index, %d with it", off.Reached, off.Evaluated, on.Evaluated)
	assert.Equal(t, off.Reached, off.Evaluated, "without the index every channel reached is evaluated")
	assert.Equal(t, off.Reached, on.Reached)
	assert.Less(t, on.Evaluated, off.Evaluated*3/4)
}

// exprGen makes random channel expressions and events over a small vocabulary, so that
// literals often occur, in either case.
type exprGen struct{ r *rand.Rand }

var (
	genFields = []string{"CommandLine", "Image", "User", "Code"}
	// genWords hold non-ASCII letters, some alike once the index folds their bytes >= 0x80
	// (é, è and ü; the dashes of Sigma's windash; 3- and 4-byte characters).
	genWords = []string{"cmd", "Cmd.EXE", "power", "-enc", "\u2013enc", "\u2014Enc", `\temp\`, "kill", "ſk", "\u212aill",
		"é", "aÉ", "è", "Ü", "中文", "\U0001F642x", "who", "x", "s"}
)

func (g *exprGen) pick(xs []string) string { return xs[g.r.Intn(len(xs))] }

func (g *exprGen) word() string {
	w := g.pick(genWords)
	switch g.r.Intn(3) {
	case 0:
		return strings.ToUpper(w)
	case 1:
		return strings.ToLower(w)
	}
	return w
}

func celQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func (g *exprGen) source() (string, string) {
	f := g.pick(genFields)
	if g.r.Intn(2) == 0 {
		return f, "event." + f + ".lowerAscii()"
	}
	return f, "event." + f
}

// leaf is one test, possibly guarded.
func (g *exprGen) leaf() string {
	f, src := g.source()
	var test string
	switch g.r.Intn(12) {
	case 0, 1:
		test = src + ".contains(" + celQuote(g.word()) + ")"
	case 2:
		test = src + ".startsWith(" + celQuote(g.word()) + ")"
	case 3:
		test = src + ".endsWith(" + celQuote(g.word()) + ")"
	case 4:
		test = src + " == " + celQuote(g.word())
	case 5:
		test = src + " in [" + celQuote(g.word()) + ", " + celQuote(g.word()) + ", 3]"
	case 6:
		test = src + ".matches(" + celQuote("(?i)"+regexp.QuoteMeta(g.word())+"(x|y)?") + ")"
	case 7:
		test = "matches(" + src + ", " + celQuote("^"+regexp.QuoteMeta(g.word())) + ")"
	case 8:
		test = "params.Words.exists(w, " + src + ".contains(w))"
	case 9:
		test = src + ".endsWith(params.Word)"
	case 10:
		n := g.r.Intn(3)
		switch g.r.Intn(4) {
		case 0:
			test = fmt.Sprintf("event.%s == %d || event.%s == '%d'", f, n, f, n)
		case 1:
			test = fmt.Sprintf("event.%s in [%d, %d.0, '%d', 'x']", f, n, n+1, n)
		case 2:
			test = fmt.Sprintf("event.%s in [%d, true]", f, n)
		default:
			test = fmt.Sprintf("event.%s == %du", f, n)
		}
		test = "(" + test + ")"
	default:
		test = "has(event." + f + ")"
	}
	if g.r.Intn(2) == 0 {
		return "has(event." + f + ") && " + test
	}
	return test
}

func (g *exprGen) expr(depth int) string {
	if depth == 0 || g.r.Intn(3) == 0 {
		return g.leaf()
	}
	switch g.r.Intn(5) {
	case 0, 1:
		return "(" + g.expr(depth-1) + " && " + g.expr(depth-1) + ")"
	case 2, 3:
		return "(" + g.expr(depth-1) + " || " + g.expr(depth-1) + ")"
	}
	return "!(" + g.expr(depth-1) + ")"
}

// plans are n one-channel plans that alert per event, and some with a selector.
func (g *exprGen) plans(n int) *plan.Set {
	set := &plan.Set{Schema: plan.Schema}
	for i := range n {
		words := []any{g.word(), g.word()}
		ch := &plan.Channel{ID: "c1", LogSource: "Test:" + fmt.Sprint(i%2), Predicate: g.expr(3), Origin: plan.OriginDerived}
		if i%3 == 0 {
			ch.Selector = g.expr(1)
		}
		set.Plans = append(set.Plans, &plan.Plan{ID: fmt.Sprintf("AN%04d", i), Kind: plan.KindDetection,
			Params: []*plan.Param{
				{Name: "Words", Type: plan.ParseType("list(string)"), Value: words},
				{Name: "Word", Type: plan.ParseType("string"), Value: g.word()},
			},
			Channels: []*plan.Channel{ch}})
	}
	return set
}

// events are n JSON lines whose fields are strings of words, numbers, null, lists, or
// missing.
func (g *exprGen) events(n int) string {
	var b strings.Builder
	at := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
	for i := range n {
		fields := map[string]any{"time": at.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano),
			"log_source": "Test:" + fmt.Sprint(i%2)}
		for _, f := range genFields {
			switch g.r.Intn(10) {
			case 0:
				// missing
			case 1:
				fields[f] = []any{g.r.Intn(3), float64(g.r.Intn(3)), 1.5, true}[g.r.Intn(4)]
			case 2:
				fields[f] = nil
			case 3:
				fields[f] = []any{g.word()}
			default:
				var s strings.Builder
				for range g.r.Intn(4) {
					s.WriteString(g.word())
					if g.r.Intn(2) == 0 {
						s.WriteString(" ")
					}
				}
				fields[f] = s.String()
			}
		}
		line, _ := json.Marshal(fields)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}
