package parsed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/parsed"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/synth"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// roundTrip writes set as an artifact and reads it back as a run does.
func roundTrip(t *testing.T, set *plan.Set) *plan.Set {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, set.Write(&buf))
	out, err := plan.ParseRunnable(buf.Bytes(), func(plan.Kind, bool) bool { return true })
	require.NoError(t, err)
	return out
}

// outputs runs set over lines and returns every alert (JSON) and the engine's stats.
func outputs(t *testing.T, set *plan.Set, lines []byte) (string, runtime.Stats) {
	t.Helper()
	return outputsWith(t, set, lines)
}

// outputsWith is outputs with the engine's options.
func outputsWith(t *testing.T, set *plan.Set, lines []byte, opts ...runtime.Option) (string, runtime.Stats) {
	t.Helper()
	eng, err := runtime.New(set, opts...)
	require.NoError(t, err)
	var out bytes.Buffer
	emit := func(o runtime.Output) {
		b, err := json.Marshal(o)
		require.NoError(t, err)
		out.Write(append(b, '\n'))
	}
	r := event.NewReader(bytes.NewReader(lines), "events.jsonl", nil)
	for {
		ev, rej, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if rej == nil {
			require.NoError(t, eng.Process(context.Background(), ev, emit))
		}
	}
	eng.Flush(emit)
	return out.String(), eng.Stats()
}

// synthetic is the synthetic 1,700-plan pack with its events: contains, prefixes, suffixes,
// regular expressions, lists and correlations over many fields.
func synthetic() (*plan.Set, []byte) {
	pack := synth.New(synth.DefaultSeed, 400)
	return pack.Plans(), synth.JSONL(pack.Events(3000))
}

func TestAttachedFormsGiveTheSameAlerts(t *testing.T) {
	set, lines := synthetic()
	plain := roundTrip(t, set)
	withForms := roundTrip(t, set)
	parsed.Attach(withForms)
	withForms = roundTrip(t, withForms)

	attached := 0
	for _, p := range withForms.Plans {
		for _, ch := range p.Channels {
			if ch.Parsed != nil {
				attached++
			}
		}
	}
	require.Positive(t, attached, "Attach gave no channel a parsed form")
	require.Equal(t, celenv.Fingerprint(), withForms.CELEnv)

	wantAlerts, wantStats := outputs(t, plain, lines)
	gotAlerts, gotStats := outputs(t, withForms, lines)
	require.NotEmpty(t, wantAlerts, "the synthetic events raise no alert: the comparison proves nothing")
	assert.Equal(t, wantAlerts, gotAlerts)
	assert.Equal(t, wantStats, gotStats)
}

func TestAttachIsDeterministic(t *testing.T) {
	set, _ := synthetic()
	write := func() []byte {
		s := roundTrip(t, set)
		parsed.Attach(s)
		var buf bytes.Buffer
		require.NoError(t, s.Write(&buf))
		return buf.Bytes()
	}
	assert.Equal(t, write(), write(), "the same plans must give a byte-identical artifact")
}

// twoPlans are two plans whose predicates differ only in a constant, so that one's checked
// form, under the other's text, is detectable by what the engine matches.
func twoPlans() *plan.Set {
	one := func(id, want string) *plan.Plan {
		return &plan.Plan{ID: id, Kind: plan.KindDetection, Channels: []*plan.Channel{{ID: "c1", LogSource: "x",
			Predicate: `has(event.cmd) && event.cmd.contains("` + want + `")`}}}
	}
	return &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{one("AN0001", "alpha"), one("AN0002", "beta")}}
}

// betaEvent matches AN0002's predicate as written, not AN0001's.
const betaEvent = `{"time":"2026-01-01T00:00:01Z","log_source":"x","cmd":"run beta"}
`

func TestFormsAreUsedOnlyForTheirText(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(set *plan.Set)
		alert bool // whether AN0002 alerts on betaEvent
	}{
		{"as compiled", func(*plan.Set) {}, true},
		{
			// Proof that the runtime evaluates the form, not the text: AN0002 carries
			// AN0001's form ("alpha") with the digest of its own text.
			"a form keyed to the text is evaluated", func(set *plan.Set) {
				form := *set.Plans[0].Channels[0].Parsed.Predicate
				form.Digest = celenv.ExprDigest(celenv.ChannelEnvKey(nil), set.Plans[1].Channels[0].Predicate)
				set.Plans[1].Channels[0].Parsed.Predicate = &form
			}, false,
		},
		{
			"an edited text is compiled from its text", func(set *plan.Set) {
				set.Plans[1].Channels[0].Predicate = `has(event.cmd) && event.cmd.contains("gamma")`
			}, false,
		},
		{
			"a form from another stixcel is not used", func(set *plan.Set) {
				form := *set.Plans[0].Channels[0].Parsed.Predicate
				form.Digest = celenv.ExprDigest(celenv.ChannelEnvKey(nil), set.Plans[1].Channels[0].Predicate)
				set.Plans[1].Channels[0].Parsed.Predicate = &form
				set.CELEnv = "another"
			}, true,
		},
		{
			"a damaged form is compiled from its text", func(set *plan.Set) {
				set.Plans[1].Channels[0].Parsed.Predicate.Expr = []byte("not a checked expression")
			}, true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := twoPlans()
			parsed.Attach(set)
			tc.edit(set)
			alerts, stats := outputs(t, roundTrip(t, set), []byte(betaEvent))
			if tc.alert {
				assert.Contains(t, alerts, `"AN0002"`)
			} else {
				assert.Empty(t, alerts)
			}
			assert.NotContains(t, alerts, `"AN0001"`)
			assert.Zero(t, stats.EvalErrors)
		})
	}
}

func TestAttachLeavesOutWhatARunMayChange(t *testing.T) {
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{{ID: "AN0001", Kind: plan.KindDetection,
		Params: []*plan.Param{{Name: "Names", Type: plan.ParseType("list(string)"), Value: []any{"a"}}},
		Channels: []*plan.Channel{
			{ID: "c1", LogSource: "x", Selector: `event.kind == "p"`, Predicate: `event.name in params.Names`},
			{ID: "c2", LogSource: "x", Predicate: `event.name.matches("(")`},
			{ID: "c3", LogSource: "x", Predicate: `event.name +`},
		}}}}
	parsed.Attach(set)
	chans := set.Plans[0].Channels
	require.NotNil(t, chans[0].Parsed)
	assert.NotNil(t, chans[0].Parsed.Selector, "a selector without parameters has a form")
	assert.Nil(t, chans[0].Parsed.Predicate, "a predicate reading parameters has none: a run may change their values")
	assert.Nil(t, chans[1].Parsed, "an expression that does not plan has none: its error is positioned in its text")
	assert.Nil(t, chans[2].Parsed, "an expression that does not parse has none")
}

// TestDamagedFormsNeverCrash flips bytes of every parsed form of the synthetic plans, seeded:
// whatever a damaged artifact holds, building the engine and running it must not panic (a
// form that does not decode is compiled from its text; one that decodes into another
// expression of the right type is evaluated as such, like any hand-edited artifact).
func TestDamagedFormsNeverCrash(t *testing.T) {
	set, lines := synthetic()
	set = roundTrip(t, set)
	parsed.Attach(set)
	var artifact bytes.Buffer
	require.NoError(t, set.Write(&artifact))
	events := bytes.SplitAfter(lines, []byte("\n"))
	lines = bytes.Join(events[:min(len(events), 300)], nil)
	for seed := range int64(20) {
		damaged := roundTrip(t, set)
		rng := rand.New(rand.NewSource(seed))
		for _, p := range damaged.Plans {
			for _, ch := range p.Channels {
				if ch.Parsed == nil {
					continue
				}
				for _, form := range []*plan.ParsedExpr{ch.Parsed.Selector, ch.Parsed.Predicate} {
					if form == nil || len(form.Expr) == 0 {
						continue
					}
					for range 1 + rng.Intn(3) {
						form.Expr[rng.Intn(len(form.Expr))] ^= byte(1 + rng.Intn(255))
					}
				}
			}
		}
		require.NotPanics(t, func() {
			eng, err := runtime.New(damaged)
			if err != nil {
				return // refused with an error: fine
			}
			_ = eng
			outputs(t, damaged, lines)
		}, "seed %d", seed)
	}
}

// TestAFormThatFailsWhenFirstEvaluatedIsCounted: a form is type-checked and planned when its
// channel is first evaluated, not while the engine is built. A form keyed to its text that
// nevertheless fails there (an artifact edited by hand) neither stops the engine nor is
// passed over: each evaluation of its channel is an evaluation error of that channel, with
// a message saying why, and the other plans run as always.
func TestAFormThatFailsWhenFirstEvaluatedIsCounted(t *testing.T) {
	tests := []struct {
		name, form, why string
	}{
		{"does not type-check", `has(event.cmd) && event.cmd.contains(1)`, "does not type-check"},
		{"does not plan", `has(event.cmd) && event.cmd.matches("(")`, "does not plan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := twoPlans()
			parsed.Attach(set)
			env, err := celenv.ChannelEnv(nil)
			require.NoError(t, err)
			tree, iss := env.Parse(tc.form)
			require.NoError(t, iss.Err())
			expr, err := celenv.EncodeParsed(tree)
			require.NoError(t, err)
			set.Plans[1].Channels[0].Parsed.Predicate.Expr = expr // still keyed to AN0002's text

			events := []byte(betaEvent + `{"time":"2026-01-01T00:00:02Z","log_source":"x","cmd":"run alpha"}
{"time":"2026-01-01T00:00:03Z","log_source":"y","cmd":"run beta"}
`)
			for _, workers := range []int{1, 4} {
				alerts, stats := outputsWith(t, roundTrip(t, set), events, runtime.WithWorkers(workers))
				assert.Contains(t, alerts, `"AN0001"`, "the other plan runs")
				assert.NotContains(t, alerts, `"AN0002"`)
				require.Len(t, stats.ErrorsBy, 1)
				got := stats.ErrorsBy[0]
				assert.Equal(t, "AN0002", got.Analytic)
				assert.Equal(t, "c1", got.Channel)
				assert.EqualValues(t, 2, got.Count, "both events of log source x")
				assert.Contains(t, got.Example, "parsed form")
				assert.Contains(t, got.Example, tc.why)
			}
		})
	}
}
