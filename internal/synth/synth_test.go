package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
)

func TestDeterministic(t *testing.T) {
	encode := func(seed int64) string {
		p := New(seed, 40)
		var b bytes.Buffer
		require.NoError(t, p.Plans().Write(&b))
		b.Write(JSONL(p.Events(200)))
		for _, r := range p.Sigma() {
			b.Write(r.YAML)
		}
		return b.String()
	}
	assert.Equal(t, encode(7), encode(7), "same seed, same output")
	assert.NotEqual(t, encode(7), encode(8), "another seed, other output")
}

func TestPlanShape(t *testing.T) {
	set := Plans(PackSize)
	require.Len(t, set.Plans, PackSize)
	correlated, channels := 0, 0
	for _, p := range set.Plans {
		assert.Contains(t, []int{1, 2, 3}, len(p.Channels), p.ID)
		if p.Correlation.Condition != "" {
			correlated++
			assert.Equal(t, "10m", p.Correlation.WindowLiteral, p.ID)
		}
		assert.Equal(t, []string{"host"}, p.Correlation.GroupBy, p.ID)
		for _, ch := range p.Channels {
			channels++
			assert.Contains(t, []string{Sysmon, Security}, ch.LogSource, p.ID)
			require.NotNil(t, ch.Route, p.ID)
			assert.Equal(t, "EventCode", ch.Route.Field, p.ID)
			assert.NotEmpty(t, ch.Predicate, p.ID)
		}
	}
	assert.Greater(t, correlated, 0, "some plans correlate")
	assert.Less(t, correlated, PackSize/10, "most plans alert per event")
	t.Logf("%d plans, %d channels, %d correlated", PackSize, channels, correlated)
}

func TestCELAgreesWithNative(t *testing.T) {
	p := New(DefaultSeed, 300)
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	type compiled struct {
		logSource string
		prg       cel.Program
	}
	progs := map[[2]int]compiled{}
	for ri, r := range p.Rules {
		for ci, ch := range r.Channels {
			text := ch.Selector() + "\n&& (" + ch.Predicate() + ")"
			ast, iss := env.Compile(text)
			require.NoError(t, iss.Err(), "%s %s: %s", r.ID, ch.ID, text)
			prg, err := env.Program(ast)
			require.NoError(t, err)
			progs[[2]int{ri, ci}] = compiled{ch.LogSource, prg}
		}
	}
	native := p.Native()
	total := 0
	for line, raw := range p.Events(4000) {
		fields := decode(t, raw)
		var want, got []string
		for key, c := range progs {
			if c.logSource != fields["log_source"] {
				continue
			}
			out, _, err := c.prg.Eval(map[string]any{"event": fields, "params": map[string]any{}})
			if err == nil && out == types.True {
				want = append(want, fmt.Sprint(key))
			}
		}
		native.Match(fields["log_source"].(string), fields, func(ri, ci int) {
			got = append(got, fmt.Sprint([2]int{ri, ci}))
		})
		assert.ElementsMatch(t, want, got, "line %d: %s", line+1, raw)
		total += len(got)
	}
	assert.Greater(t, total, 20, "the stream exercises the pack")
}

func TestMatchShareAndLineSizes(t *testing.T) {
	native := NativeMatchers(PackSize)
	events := Events(20000)
	matching, shortest, longest, routed := 0, len(events[0]), 0, 0
	for _, raw := range events {
		shortest, longest = min(shortest, len(raw)), max(longest, len(raw))
		fields := decode(t, raw)
		routed += len(native.routes[fields["log_source"].(string)][fields["EventCode"].(int64)])
		hit := false
		native.Match(fields["log_source"].(string), fields, func(int, int) { hit = true })
		if hit {
			matching++
		}
	}
	share := float64(matching) / float64(len(events))
	t.Logf("%.2f%% of events match; lines %d..%d bytes; %.0f channels routed per event",
		100*share, shortest, longest, float64(routed)/float64(len(events)))
	assert.True(t, share >= 0.001 && share <= 0.02, "share of matching events %.4f, want 0.1%%..2%%", share)
	assert.GreaterOrEqual(t, shortest, 300)
	assert.LessOrEqual(t, longest, 1500)
}

// TestBenignValuesHaveNoTokens keeps the stream's matches to the events made to match.
func TestBenignValuesHaveNoTokens(t *testing.T) {
	for _, k := range eventKinds {
		for _, f := range k.fields {
			for _, v := range f.class.benign {
				for _, op := range f.class.ops() {
					for _, tok := range f.class.tokens(op) {
						assert.False(t, passes(op, asciiLower(v), asciiLower(tok)),
							"%s %d %s: benign %q passes %s %q", k.logSource, k.code, f.name, v, op, tok)
					}
				}
			}
		}
	}
}

func passes(op Op, v, tok string) bool {
	switch op {
	case OpEndsWith:
		return strings.HasSuffix(v, tok)
	case OpStartsWith:
		return strings.HasPrefix(v, tok)
	case OpContains:
		return strings.Contains(v, tok)
	}
	return v == tok
}

func TestSigmaRules(t *testing.T) {
	p := New(DefaultSeed, 50)
	rules := p.Sigma()
	channels := 0
	for _, r := range p.Rules {
		channels += len(r.Channels)
	}
	require.Len(t, rules, channels, "one Sigma rule per channel")
	for _, r := range rules {
		var doc struct {
			Title     string
			Logsource struct{ Product, Service string }
			Detection map[string]any
		}
		require.NoError(t, yaml.Unmarshal(r.YAML, &doc), "%s", r.YAML)
		assert.Equal(t, "windows", doc.Logsource.Product, r.Rule)
		want := map[string]string{Sysmon: "sysmon", Security: "security"}[r.LogSource]
		assert.Equal(t, want, doc.Logsource.Service, r.Rule)
		assert.Equal(t, "selection", doc.Detection["condition"], r.Rule)
		assert.Contains(t, doc.Detection["selection"], "EventCode", r.Rule)
	}
}

func TestSingle(t *testing.T) {
	p := Single(DefaultSeed)
	require.Len(t, p.Rules, 1)
	assert.Equal(t, "event.EventCode == 10", p.Rules[0].Channels[0].Selector())
	assert.Equal(t, `event.TargetImage.lowerAscii().endsWith("\\lsass.exe")`+"\n&& "+
		`event.GrantedAccess.lowerAscii() in ["0x1fffff", "0x1f0fff", "0x1f1fff", "0x1f3fff", "0x1010", "0x1410", "0x1438", "0x143a"]`,
		p.Rules[0].Channels[0].Predicate())
	native := p.Native()
	matched := 0
	for _, raw := range p.Events(2000) {
		fields := decode(t, raw)
		require.Equal(t, int64(10), fields["EventCode"])
		native.Match(Sysmon, fields, func(int, int) { matched++ })
	}
	assert.Greater(t, matched, 0)
	assert.Less(t, matched, 100)
}

// decode reads an event as the runtime does: whole numbers int64.
func decode(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var fields map[string]any
	require.NoError(t, dec.Decode(&fields))
	for k, v := range fields {
		if n, ok := v.(json.Number); ok {
			i, err := n.Int64()
			require.NoError(t, err)
			fields[k] = i
		}
	}
	return fields
}
