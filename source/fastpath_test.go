package source

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
)

// TestFastAlternativesAgreeWithCEL: the shapes evaluated without the interpreter give CEL's
// value, or CEL's error with CEL's message, for every kind of raw value, through a map and
// through a lazy event view.
func TestFastAlternativesAgreeWithCEL(t *testing.T) {
	env, err := newEnv()
	require.NoError(t, err)
	exprs := []string{`raw.F`, `raw["F"]`, `int(raw.F)`, `parse_time(raw.F)`,
		`raw.F.G`, `int(raw.F["G"])`, `parse_time(raw["F"].G.H)`,
		`has(raw.F)`, `has(raw.F.G)`, `has(raw.F.G.H) && has(raw.F)`, `has(raw.G) && has(raw.F.G) && has(raw["F"].H)`}
	values := []any{
		nil, "x", "", "4688", "-12", "1e3", "9223372036854775808", "2026-03-20T09:00:00Z",
		"2026-03-20 09:00:00.123", "2026-03-20T09:00:00+02:00", "yesterday", int64(7), int64(math.MinInt64),
		3.0, 3.5, -1e300, 1e19, true, []any{"a"}, map[string]any{"a": int64(1)},
	}
	for _, text := range exprs {
		checked, iss := env.Compile(text)
		require.NoError(t, iss.Err())
		prg, err := env.Program(checked, cel.EvalOptions(cel.OptOptimize))
		require.NoError(t, err)
		alt := newAlternative(checked, prg)
		require.NotEqual(t, celAlternative{prg}, alt, text)
		objects := []map[string]any{{}, {"G": "other"}, {"F": map[string]any{}}, {"F": map[string]any{"G": map[string]any{}}}}
		for _, v := range values {
			objects = append(objects, map[string]any{"F": v}, map[string]any{"F": map[string]any{"G": v}},
				map[string]any{"F": map[string]any{"G": map[string]any{"H": v}}})
		}
		for _, obj := range objects {
			for _, raw := range rawForms(t, obj) {
				act := &activation{raw: raw}
				wantVal, _, wantErr := prg.Eval(act)
				gotVal, gotErr := alt.eval(act)
				if wantErr != nil {
					require.Error(t, gotErr, "%s on %v", text, obj)
					assert.Equal(t, wantErr.Error(), gotErr.Error(), "%s on %v", text, obj)
					continue
				}
				require.NoError(t, gotErr, "%s on %v", text, obj)
				assert.Equal(t, types.True, wantVal.Equal(gotVal), "%s on %v: CEL %v, fast %v", text, obj, wantVal, gotVal)
			}
		}
	}
}

// rawForms is obj as a CEL map and as a view of a raw-backed event.
func rawForms(t *testing.T, obj map[string]any) []ref.Val {
	t.Helper()
	forms := []ref.Val{types.NewStringInterfaceMap(types.DefaultTypeAdapter, obj)}
	if ev, ok := event.NewRaw(mustJSON(t, obj)); ok { // not 1e+300: that one decodes as a map
		view := event.NewFieldView(nil)
		view.Reset(ev)
		forms = append(forms, view)
	}
	return forms
}

// TestAlternativeKinds: which expressions take which path. Only an expression whose every
// use of raw is one field is remembered by value; anything else reading raw stays CEL.
func TestAlternativeKinds(t *testing.T) {
	env, err := newEnv()
	require.NoError(t, err)
	for _, tc := range []struct {
		expr string
		want alternative
	}{
		{`raw.F.lowerAscii()`, &memoAlternative{}},
		{`int(raw.F) + 1`, &memoAlternative{}},
		{`raw.F.G`, &fastAlternative{}},
		{`int(raw.F.G["H"])`, &fastAlternative{}},
		{`raw.F.G.lowerAscii()`, &memoAlternative{}},
		{`raw.F["G"] == "" ? "-" : raw.F.G`, &memoAlternative{}},
		{`raw.F.G + raw.F.H`, celAlternative{}},
		{`raw.F.G + raw.F`, celAlternative{}},
		{`raw.F.G.map(k, raw.F.G[k])`, &rangeAlternative{}},
		{`[raw.F].map(k, k)`, celAlternative{}},
		{`parse_time(raw.F, "2006")`, &memoAlternative{}},
		{`raw.F == "" ? optional.none() : maps.t[?raw.F.lowerAscii()].or(optional.of("x:" + raw["F"]))`, &memoAlternative{}},
		{`has(raw.F)`, &hasAlternative{}},
		{`has(raw["F"].G.H) && has(raw.K)`, &andAlternative{}},
		{`has(raw.F) || has(raw.G)`, celAlternative{}},
		{`has(raw.F) && raw.F == 1`, celAlternative{}},
		{`raw[raw.K]`, celAlternative{}},
		{`raw.F + raw.G`, celAlternative{}},
		{`raw.F == "" || [1].exists(raw, raw > 0)`, celAlternative{}},
		{`size(raw) > 1 && raw.F == ""`, celAlternative{}},
	} {
		checked, iss := env.Compile(tc.expr)
		require.NoError(t, iss.Err(), tc.expr)
		prg, err := env.Program(checked)
		require.NoError(t, err)
		assert.IsType(t, tc.want, newAlternative(checked, prg), tc.expr)
	}
}

// TestMemoAlternativeAgreesWithCEL: a remembered result is what CEL gives, values and errors
// alike, on first sight and on every later one, through a map and a lazy view; so is the
// result of a comprehension whose range is missing.
func TestMemoAlternativeAgreesWithCEL(t *testing.T) {
	env, err := newEnv()
	require.NoError(t, err)
	values := []any{nil, "Security", "security", "", "Microsoft-Windows-Sysmon/Operational", "12", "x",
		strings.Repeat("s", maxMemoValue+1), int64(7), true, []any{"a"}}
	for _, text := range []string{
		`raw.F == "" ? optional.none() : maps.t[?raw.F.lowerAscii()].or(optional.of("x:" + raw.F))`,
		`int(raw.F) + 1`,
		`raw.F.G == "" ? optional.none() : maps.t[?raw.F.G.lowerAscii()].or(optional.of("x:" + raw.F.G))`,
		`raw.F.map(k, raw.F[k])`,
	} {
		checked, iss := env.Compile(text)
		require.NoError(t, iss.Err())
		prg, err := env.Program(checked)
		require.NoError(t, err)
		alt := newAlternative(checked, prg)
		tables := types.DefaultTypeAdapter.NativeToValue(map[string]map[string]string{"t": {"security": "WinEventLog:Security"}})
		act := &activation{maps: adaptedMaps(tables)}
		for round := range 2 {
			for _, v := range values {
				objects := []map[string]any{{"F": v}, {"F": map[string]any{"G": v}}, {"G": v}, {"F": map[string]any{}}}
				for _, raw := range slices.Concat(rawForms(t, objects[0]), rawForms(t, objects[1]), rawForms(t, objects[2]), rawForms(t, objects[3])) {
					act.raw = raw
					wantVal, _, wantErr := prg.Eval(act)
					gotVal, gotErr := alt.eval(act)
					if wantErr != nil {
						require.Error(t, gotErr, "%s on %v, round %d", text, v, round)
						assert.Equal(t, wantErr.Error(), gotErr.Error())
						continue
					}
					require.NoError(t, gotErr, "%s on %v, round %d", text, v, round)
					assert.Equal(t, types.True, wantVal.Equal(gotVal), "%s on %v, round %d: CEL %v, memo %v", text, v, round, wantVal, gotVal)
				}
			}
		}
		if _, isMemo := alt.(*memoAlternative); isMemo {
			assert.NotEmpty(t, act.memo, "nothing remembered")
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// TestMemoKeepsNothingOfTheLine: what a decoder keeps from line to line outlives the line
// it was read from, which may be a slice of a chunked Reader's megabyte: neither the results
// it remembers by a field's value (the windows profile's log source by raw.Channel), nor
// the errors of a line whose time does not parse, hold a view into the line.
func TestMemoKeepsNothingOfTheLine(t *testing.T) {
	p, err := Builtin("windows")
	require.NoError(t, err)
	d := NewDecoder(p)
	line := `{"Channel":"Security","EventID":4624,"TimeCreated":"2026-03-20T09:00:00Z","Hostname":"H","TargetUserName":"alice"}`
	ev, bad := d.DecodeString(line)
	require.Nil(t, bad)
	line = ev.Raw()
	require.NotEmpty(t, line)
	badTime := `{"Channel":"Security","EventID":4624,"TimeCreated":"yesterday at noon","Hostname":"H"}`
	_, bad = d.DecodeString(badTime)
	require.NotNil(t, bad)
	inLine := func(s string) bool {
		for _, l := range []string{line, badTime} {
			start, p := uintptr(unsafe.Pointer(unsafe.StringData(l))), uintptr(unsafe.Pointer(unsafe.StringData(s)))
			if len(s) > 0 && p >= start && p < start+uintptr(len(l)) {
				return true
			}
		}
		return false
	}
	for _, err := range d.norm.errs[:cap(d.norm.errs)] {
		var te *timeError
		if errors.As(err, &te) {
			assert.False(t, inLine(te.value), "an error the normalizer keeps quotes the line: %v", err)
		}
	}
	require.NotEmpty(t, d.norm.act.memo, "the profile remembers nothing: the test tests nothing")
	for _, memo := range d.norm.act.memo {
		for key, r := range memo {
			assert.False(t, inLine(key), "the memo's key %q is a view into the line", key)
			if s, ok := r.val.(types.String); ok {
				assert.False(t, inLine(string(s)), "the memo's result %q is a view into the line", s)
			}
		}
	}
}
