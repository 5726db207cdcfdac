package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/cel-go/common/types/ref"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/jsonl"
	"github.com/stixcel/stixcel/internal/synth"
	"github.com/stixcel/stixcel/plan"
)

// runJSONL reads jsonl with a Reader and runs it through a new engine; it returns every
// output as JSON lines and the stats.
func runJSONL(t *testing.T, set *plan.Set, jsonl string, ropts event.Decoder, opts ...Option) (string, Stats) {
	t.Helper()
	eng, err := New(set, opts...)
	require.NoError(t, err)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	emit := func(o Output) { require.NoError(t, enc.Encode(o)) }
	r := event.NewReader(strings.NewReader(jsonl), "stream.jsonl", ropts)
	for {
		ev, rej, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.Nil(t, rej)
		eng.Process(context.Background(), ev, emit)
	}
	eng.Flush(emit)
	return out.String(), eng.Stats()
}

// mixedStream is a synthetic Sysmon/Security stream of many hosts, with events that lack
// the route field or carry it as a float, a string or null.
func mixedStream(pack *synth.Pack, n int) string {
	var b strings.Builder
	for i, line := range pack.Events(n) {
		b.Write(line)
		b.WriteByte('\n')
		if i%97 != 0 {
			continue
		}
		at := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano)
		for _, code := range []string{``, `"EventCode":1.0,`, `"EventCode":"1",`, `"EventCode":null,`, `"EventCode":4688,`} {
			fmt.Fprintf(&b, `{"time":%q,"log_source":%q,%s"host":"ws-odd","Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c whoami"}`+"\n",
				at, synth.Sysmon, code)
		}
	}
	return b.String()
}

// correlatedPack is a synthetic pack in which every rule with two or more channels has a
// condition, so that windows, group keys and emission order are exercised.
func correlatedPack(n int) (*synth.Pack, *plan.Set) {
	pack := synth.New(synth.DefaultSeed, n)
	for i := range pack.Rules {
		if len(pack.Rules[i].Channels) > 1 && i%2 == 0 {
			pack.Rules[i].Correlated = true
		}
	}
	return pack, pack.Plans()
}

func TestFastPathsKeepResults(t *testing.T) {
	pack, set := correlatedPack(300)
	stream := mixedStream(pack, 3000)
	demo := readFile(t, demoEvents)
	tests := []struct {
		name  string
		set   *plan.Set
		jsonl string
		opts  []Option
	}{
		{name: "synthetic pack", set: set, jsonl: stream},
		{name: "synthetic pack, hunting selectors", set: selectorsOf(set), jsonl: stream, opts: []Option{WithHunt(true)}},
		{name: "AN1828 demo", set: loadAN1828(t, nil), jsonl: demo},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The reference: events decoded into maps, plain CEL, every selector evaluated.
			want, wantStats := runJSONL(t, tc.set, tc.jsonl, event.Normalized{Fields: true},
				append(tc.opts, func(c *config) { c.plainCEL, c.noRouting = true, true })...)
			require.NotEmpty(t, want)
			variants := []struct {
				name  string
				ropts event.Decoder
				opts  []Option
			}{
				{name: "routed", ropts: event.Normalized{Fields: true}, opts: []Option{func(c *config) { c.plainCEL = true }}},
				{name: "specialized", ropts: event.Normalized{Fields: true}, opts: []Option{func(c *config) { c.noRouting = true }}},
				{name: "lazy events", opts: []Option{func(c *config) { c.plainCEL, c.noRouting = true, true }}},
				{name: "all fast paths"},
				{name: "2 workers", opts: []Option{WithWorkers(2)}},
				{name: "4 workers", opts: []Option{WithWorkers(4)}},
			}
			for _, v := range variants {
				got, gotStats := runJSONL(t, tc.set, tc.jsonl, v.ropts, append(tc.opts, v.opts...)...)
				assert.Equal(t, want, got, "%s: outputs", v.name)
				assert.Equal(t, wantStats, gotStats, "%s: stats", v.name)
			}
		})
	}
}

// selectorsOf turns every plan into a selector plan that is a hunt source, every channel
// selecting content (hunt records per matching channel).
func selectorsOf(set *plan.Set) *plan.Set {
	out := &plan.Set{Schema: set.Schema}
	for _, p := range set.Plans {
		cp := *p
		cp.Kind, cp.Hunt, cp.Channels = plan.KindSelector, true, nil
		for _, ch := range p.Channels {
			cc := *ch
			cc.Selects = plan.SelectsContent
			cp.Channels = append(cp.Channels, &cc)
		}
		out.Plans = append(out.Plans, &cp)
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	var b strings.Builder
	for _, ev := range readEvents(t, path) {
		line, err := json.Marshal(ev.Map())
		require.NoError(t, err)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestWorkersGiveOneWorkersAlerts(t *testing.T) {
	// AN1828 over many devices at once: interleaved windows that close on later events of
	// other devices, and at Flush.
	var s stream
	for d := range 40 {
		dev := fmt.Sprintf("ios-%02d", d)
		base := time.Duration(d%7) * time.Minute
		s.locked(base, dev)
		for i := range 4 {
			s.beacon(base+time.Duration(i)*time.Minute+time.Duration(d)*time.Second, dev)
		}
		s.mdm(base+30*time.Second, dev, d%3 == 0, true)
	}
	sortByTime(s.events)
	var b strings.Builder
	for _, ev := range s.events {
		line, err := json.Marshal(ev.Fields)
		require.NoError(t, err)
		b.Write(line)
		b.WriteByte('\n')
	}
	_, set := correlatedPack(200)
	pack := synth.New(synth.DefaultSeed, 200)
	tests := []struct {
		name  string
		set   *plan.Set
		jsonl string
	}{
		{name: "AN1828 demo", set: loadAN1828(t, nil), jsonl: readFile(t, demoEvents)},
		{name: "AN1828 over 40 devices", set: loadAN1828(t, nil), jsonl: b.String()},
		{name: "synthetic multi-host stream", set: set, jsonl: mixedStream(pack, 2500)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			one, oneStats := runJSONL(t, tc.set, tc.jsonl, nil)
			require.NotEmpty(t, one)
			for _, n := range []int{2, 3, 4} {
				got, stats := runJSONL(t, tc.set, tc.jsonl, nil, WithWorkers(n))
				assert.Equal(t, one, got, "%d workers", n)
				assert.Equal(t, oneStats, stats, "%d workers", n)
			}
		})
	}
}

func sortByTime(events []*event.Event) {
	for i := 1; i < len(events); i++ {
		for j := i; j > 0 && events[j].Time.Before(events[j-1].Time); j-- {
			events[j], events[j-1] = events[j-1], events[j]
		}
	}
	for i, ev := range events {
		ev.Line = i + 1
	}
}

// TestSpecializedCEL evaluates expressions with and without the specializer over events
// backed by maps and by raw JSON, and wants the same value or the same error.
func TestSpecializedCEL(t *testing.T) {
	raw := `{"time":"2026-03-20T09:00:00Z","log_source":"WinEventLog:Sysmon","EventCode":10,"Image":"C:\\Windows\\System32\\CMD.exe",` +
		`"CommandLine":"cmd.exe /c \"whoami\"","GrantedAccess":"0x1010","Port":443,"Ratio":0.5,"Flag":true,"Nothing":null,` +
		`"List":["a","B"],"Obj":{"k":"V"},"Uni":"\u00c9T\u00c9","Empty":""}`
	params := []*plan.Param{
		{Name: "Masks", Type: plan.ParseType("list(string)"), Value: []any{"0x1010", "0x1410"}},
		{Name: "Ports", Type: plan.ParseType("map(string, list(int))"), Value: map[string]any{"tls": []any{443}}},
		{Name: "Suffix", Type: plan.ParseType("string"), Value: `\cmd.exe`},
		{Name: "Window", Type: plan.ParseType("duration"), Value: "5m"},
	}
	exprs := []string{
		`event.Image.endsWith("CMD.exe")`,
		`event.Image.lowerAscii().endsWith("\\cmd.exe")`,
		`event.Image.lowerAscii().endsWith(params.Suffix)`,
		`event.CommandLine.contains("whoami")`,
		`event.CommandLine.startsWith("cmd")`,
		`event.Image.matches("(?i)cmd\\.exe$")`,
		`matches(event.Image, "^C:")`,
		`["(?i)cmd", "x"].exists(p, event.Image.matches(p))`,
		`params.Masks.exists(m, event.GrantedAccess.matches("(?i)^" + m + "$"))`,
		`["("].exists(p, event.Image.matches(p))`,
		// quantifiers over parameter lists (unrolled) and over event lists (not)
		`params.Masks.exists(m, event.GrantedAccess.lowerAscii() == m.lowerAscii())`,
		`params.Masks.all(m, event.GrantedAccess != m)`,
		`!params.Masks.exists(m, event.Missing.matches(m))`,
		`params.Masks.exists(m, event.Port.matches(m))`,
		`params.Masks.exists(m, m == event.GrantedAccess) || params.Masks.exists(m, event.Image.contains(m))`,
		`params.Masks.exists(m, event.List.exists(x, x == m))`,
		`params.Masks.exists(m, params.Masks.exists(n, m + n == event.GrantedAccess + event.GrantedAccess))`,
		`[1].exists(p, event.Image.matches(string(p)))`,
		`event.Port.matches("4" + "4")`,
		`string(event.Port).matches("4" + "4")`,
		`event.Missing.matches("a" + "b")`,
		`event.CommandLine.containsAny(["nope", "whoami"])`,
		`event.CommandLine.lowerAscii().containsAny(["CMD", "x"])`,
		`event.Image.containsAny([])`,
		`event.Image.containsAny(["zz", ""])`,
		`event.Port.containsAny(["4"])`,
		`event.Missing.containsAny(["4"])`,
		`event.Image.containsAny(params.Masks)`,
		`event.GrantedAccess in ["0x1010", "0x1410"]`,
		`event.GrantedAccess in params.Masks`,
		`event.GrantedAccess.lowerAscii() in params.Masks`,
		`event.GrantedAccess in [1, "0x1010"]`,
		`"tls" in params.Ports && event.Port in params.Ports["tls"]`,
		`event.Image == "C:\\Windows\\System32\\CMD.exe"`,
		`"x" != event.Image`,
		`event.Uni.lowerAscii() == "\u00c9t\u00c9"`,
		`event.Empty == ""`,
		// missing fields
		`event.Missing.endsWith("x")`,
		`event.Missing.lowerAscii() in ["a"]`,
		`event.Missing == "x"`,
		`event.Missing == "x" || event.EventCode == 10`,
		`has(event.Missing) || has(event.Image)`,
		`has(event.Nothing) && has(event.Empty) && !has(event.Missing)`,
		`has(event.Nothing) && event.Nothing == null`,
		`event.Image != null && null != event.Port && event.Flag != null && event.List != null && event.Obj != null`,
		`null == event.Nothing || event.Image == null`,
		`event.Missing != null`,
		`event.Missing == null || true`,
		`event.?Missing.orValue("d") == "d"`,
		// disjunctions of contains tests of one field (special/chain.go)
		`event.CommandLine.contains("nope") || event.CommandLine.contains("whoami")`,
		`event.CommandLine.lowerAscii().contains("a1") || event.CommandLine.lowerAscii().contains("b2") || ` +
			`event.CommandLine.lowerAscii().contains("c3") || event.CommandLine.lowerAscii().contains("d4") || ` +
			`event.CommandLine.lowerAscii().contains("cmd.exe")`,
		`event.Image.lowerAscii().contains("a1") || event.Image.lowerAscii().contains("b2") || ` +
			`event.Image.lowerAscii().contains("c3") || event.Image.lowerAscii().contains("d4") || event.Image.lowerAscii().contains("CMD")`,
		`event.Image.contains("x") || event.Image.contains("")`,
		`event.Uni.lowerAscii().contains("\u00e9") || event.Uni.lowerAscii().contains("\u00c9t")`,
		`event.Missing.contains("a") || event.Missing.contains("b")`,
		`event.Port.lowerAscii().contains("4") || event.Port.lowerAscii().contains("3") || event.Port.lowerAscii().contains("5") || ` +
			`event.Port.lowerAscii().contains("6") || event.Port.lowerAscii().contains("7")`,
		`event.List.contains("a") || event.List.contains("b")`,
		`event.CommandLine.contains("x") || event.Image.contains("cmd")`,
		`(event.CommandLine.contains("x") || event.CommandLine.contains("y")) || event.Missing.contains("CMD")`,
		`event.Missing.contains("x") || event.Image.contains("CMD") || event.Missing.contains("y")`,
		`event.CommandLine.matches("(?is)WHOAMI") || matches(event.CommandLine, "^x") || event.CommandLine.matches("\\s\"")`,
		`event.Image.lowerAscii().matches("^c:") || event.Image.lowerAscii().matches("cmd\\.exe$")`,
		`event.Uni.matches("(?i)\u00e9t") || event.Uni.matches("x")`,
		`event.Missing.matches("4") || event.Missing.matches("3")`,
		// wrong types
		`event.Port.endsWith("3")`,
		`event.Port.lowerAscii() == "443"`,
		`event.Port == "443"`,
		`event.Port in ["443"]`,
		`event.Flag.contains("t")`,
		`event.Nothing == "x"`,
		`event.Nothing.startsWith("x")`,
		`event.List.exists(x, x.lowerAscii() == "b")`,
		`event.Obj.k.lowerAscii() == "v"`,
		`event.Ratio == 0.5 && event.EventCode in [10, 11]`,
		`event.Ratio.contains("5")`,
		// shadowing and dynamic access
		`[event.Image].exists(event, event.endsWith("exe"))`,
		`event["Image"].endsWith("exe")`,
		`size(event) > 3 && "Image" in event`,
		`params.Window > duration("1m")`,
	}
	var fields map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &fields))
	rawEv, ok := event.NewRaw([]byte(raw))
	require.True(t, ok)
	events := map[string]*event.Event{
		"raw": rawEv,
		"map": {Fields: decodeFields(t, raw)},
	}
	for _, text := range exprs {
		for evName, ev := range events {
			t.Run(evName+" "+text, func(t *testing.T) {
				plainOut, plainErr := evalOnce(t, text, params, ev, true)
				out, err := evalOnce(t, text, params, ev, false)
				assert.Equal(t, plainErr, err)
				assert.Equal(t, plainOut, out)
			})
		}
	}
}

func decodeFields(t *testing.T, line string) map[string]any {
	t.Helper()
	v, err := jsonl.Decode([]byte(line))
	require.NoError(t, err)
	return v.(map[string]any)
}

// evalOnce compiles text as a channel predicate of a plan with params and evaluates it
// once over ev; it returns the value and the error message.
func evalOnce(t *testing.T, text string, params []*plan.Param, ev *event.Event, plain bool) (ref.Val, string) {
	t.Helper()
	p := &plan.Plan{ID: "AN0000", Kind: plan.KindDetection, Params: params, Channels: []*plan.Channel{
		{ID: "c1", LogSource: "x", Predicate: text},
	}}
	cache := newProgramCache()
	cache.plain = plain
	cache.noCostCheck = true // some expressions estimate too high: the specializer is tested
	cp, err := compilePlan(0, p, cache)
	require.NoError(t, err)
	sh := newShard(0, &config{workers: 1}, []*compiledPlan{cp}, &routeIndex{}, nil, cache.slots)
	sh.view.Reset(ev)
	sh.chanAct.Params = cp.paramsVal
	out, _, err := cp.channels[0].predicate.Eval(sh.frame)
	if err != nil {
		return nil, err.Error()
	}
	return out, ""
}

// TestContainsAnySpecialized: containsAny over a constant list, decided by the automaton the
// specializer builds, gives plain CEL's answer on random lists (empty words, duplicates,
// words inside words, non-ASCII) and subjects.
func TestContainsAnySpecialized(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	alphabet := []string{"a", "b", "\\", ".", "é"}
	word := func(most int) string {
		var b strings.Builder
		for range r.IntN(most + 1) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for i := range 60 {
		words := make([]string, r.IntN(6))
		for k := range words {
			words[k] = strconv.Quote(word(3))
		}
		text := "event.S.containsAny([" + strings.Join(words, ", ") + "])"
		for k := range 5 {
			subject := word(8)
			if k == 4 {
				subject = word(300) // past 128 bytes the automaton skips ahead to the words' first bytes
			}
			ev := &event.Event{Fields: map[string]any{"S": subject}}
			plainOut, plainErr := evalOnce(t, text, nil, ev, true)
			out, err := evalOnce(t, text, nil, ev, false)
			require.Equal(t, plainErr, err, "%d: %s on %q", i, text, subject)
			require.Equal(t, plainOut, out, "%d: %s on %q", i, text, subject)
		}
	}
}

// TestContainsChainsSpecialized: a disjunction of contains tests of one field, decided in one
// search for any of its words, and one of matches tests, decided by the alternation of its
// patterns, give plain CEL's answer and error on random words, patterns and values: strings (lowered or not, invalid UTF-8 among them), other values, a missing field,
// from raw lines and from maps.
func TestContainsChainsSpecialized(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	alphabet := []string{"a", "B", `\\`, ".", "é", `\u0000`} // as JSON and CEL strings write them
	word := func(most int) string {
		var b strings.Builder
		for range r.IntN(most + 1) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	pieces := []string{"a", "B", ".", "é", `\\.`, "[ab]", "x*", "(?:a|é)"}
	pattern := func() string { // as a CEL string writes it
		var b strings.Builder
		for _, flag := range []string{"(?i)", "(?s)", "^"} {
			if r.IntN(3) == 0 {
				b.WriteString(flag)
			}
		}
		for range 1 + r.IntN(3) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		if r.IntN(4) == 0 {
			b.WriteString("$")
		}
		return b.String()
	}
	values := func() []string {
		return []string{`"` + word(8) + `"`, `"` + word(200) + `"`, `42`, `null`, `["a"]`, ``}
	}
	for i := range 40 {
		src := "event.S"
		if i%2 == 0 {
			src += ".lowerAscii()"
		}
		var tests []string
		for range 2 + r.IntN(8) {
			if i%4 < 2 {
				tests = append(tests, src+`.contains("`+word(3)+`")`)
			} else {
				tests = append(tests, src+`.matches("`+pattern()+`")`)
			}
		}
		text := strings.Join(tests, " || ")
		for _, value := range values() {
			if i%4 >= 2 && !strings.HasPrefix(value, `"`) {
				// On a value that is not a string, plain CEL words the error of a pattern
				// written as a literal without the function's name (its regex optimization),
				// the specialized test, fused or not, with it.
				continue
			}
			line := `{"time":"2026-03-20T09:00:00Z","log_source":"x"}`
			if value != "" {
				line = `{"time":"2026-03-20T09:00:00Z","log_source":"x","S":` + value + `}`
			}
			raw, ok := event.NewRaw([]byte(line))
			require.True(t, ok, line)
			notUTF8 := &event.Event{Fields: map[string]any{"S": "a\xffB" + word(2)}}
			for _, ev := range []*event.Event{raw, {Fields: decodeFields(t, line)}, notUTF8} {
				plainOut, plainErr := evalOnce(t, text, nil, ev, true)
				out, err := evalOnce(t, text, nil, ev, false)
				require.Equal(t, plainErr, err, "%d: %s on %s", i, text, line)
				require.Equal(t, plainOut, out, "%d: %s on %s", i, text, line)
			}
		}
	}
}

// TestQuantifiersUnrolled: a channel whose loops all run over parameter lists gets the
// unrolled program (celenv.Unroll); one that also loops over an event list keeps its loops.
func TestQuantifiersUnrolled(t *testing.T) {
	params := []*plan.Param{{Name: "Masks", Type: plan.ParseType("list(string)"), Value: []any{"0x1010", "0x1410"}}}
	for text, want := range map[string]bool{
		`params.Masks.exists(m, event.GrantedAccess.matches("(?i)^" + m + "$"))`:                  true,
		`!params.Masks.exists(m, event.Image.lowerAscii().endsWith(m.lowerAscii()))`:              true,
		`params.Masks.exists(m, event.GrantedAccess == m) && event.List.exists(x, x == "0x1010")`: false,
	} {
		p := &plan.Plan{ID: "AN0000", Kind: plan.KindDetection, Params: params, Channels: []*plan.Channel{
			{ID: "c1", LogSource: "x", Predicate: text},
		}}
		cache := newProgramCache()
		_, err := compilePlan(0, p, cache)
		require.NoError(t, err)
		unrolled := false
		for key, prg := range cache.progs {
			unrolled = unrolled || strings.HasPrefix(key, "unrolled\x00") && prg != nil
		}
		assert.Equal(t, want, unrolled, text)
	}
}

// TestUnrolledProgramFallsBack: an element that makes the unrolled program unplannable
// (a constant pattern cel-go compiles while planning) leaves the channel its program as
// written, which fails when evaluated, as lint expects; the elements before it still match.
func TestUnrolledProgramFallsBack(t *testing.T) {
	params := []*plan.Param{{Name: "Pieces", Type: plan.ParseType("list(string)"), Value: []any{"cmd", "("}}}
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{{ID: "AN0000", Kind: plan.KindDetection, Params: params,
		Channels: []*plan.Channel{{ID: "c1", LogSource: "x", Predicate: `params.Pieces.exists(p, event.Image.matches(p))`}}}}}
	stream := `{"time":"2026-03-20T09:00:00Z","log_source":"x","Image":"cmd.exe"}` + "\n" +
		`{"time":"2026-03-20T09:00:01Z","log_source":"x","Image":"calc.exe"}` + "\n"
	for _, workers := range []int{1, 2} {
		out, stats := runJSONL(t, set, stream, nil, WithWorkers(workers))
		assert.Equal(t, 1, strings.Count(out, `"analytic":"AN0000"`), "cmd.exe matches its first element")
		assert.Equal(t, int64(1), stats.EvalErrors, "calc.exe reaches the invalid pattern")
	}
}

// BenchmarkPackWorkers runs the 1,700-plan synthetic pack (with a share of correlated
// plans) over events read beforehand, with 1 and 2 workers.
func BenchmarkPackWorkers(b *testing.B) {
	pack := synth.New(synth.DefaultSeed, synth.PackSize)
	set := pack.Plans()
	jsonl := synth.JSONL(pack.Events(5000))
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			events := 0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				eng, err := New(set, WithWorkers(n))
				require.NoError(b, err)
				var decoded []*event.Event
				r := event.NewReader(bytes.NewReader(jsonl), "synth.jsonl", nil)
				for {
					ev, _, err := r.Next()
					if err == io.EOF {
						break
					}
					decoded = append(decoded, ev)
				}
				b.StartTimer()
				for _, ev := range decoded {
					eng.Process(context.Background(), ev, func(Output) {})
				}
				eng.Flush(func(Output) {})
				events += len(decoded)
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
