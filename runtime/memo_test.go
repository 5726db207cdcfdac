package runtime

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// TestValueMemoIsTheScan checks that the clauses a remembered value makes hold are those a
// scan of it finds, value after value, through every state of the memo: hits, values too
// long to keep, a memo full that starts over, a run of values that never repeat (the memo
// pauses), and the values repeating again once the pause is over.
func TestValueMemoIsTheScan(t *testing.T) {
	words := []string{"cmd", "Cmd.EXE", "power", "-enc", "\u2013enc", "kill", "\u212aill", "ſk", "é", "who", "x"}
	set := &plan.Set{Schema: plan.Schema}
	for i, w := range words {
		set.Plans = append(set.Plans, &plan.Plan{ID: fmt.Sprintf("AN%04d", i), Kind: plan.KindDetection,
			Channels: []*plan.Channel{{ID: "c1", LogSource: "Test:x", Origin: plan.OriginDerived,
				Predicate: "event.CommandLine.lowerAscii().contains(" + celQuote(strings.ToLower(w)) + ")"}}})
	}
	eng, err := New(set)
	require.NoError(t, err)
	require.NotNil(t, eng.cands)
	f := eng.cands.fields[0]
	require.Equal(t, eng.slots.Slot("CommandLine"), f.slot)

	r := rand.New(rand.NewSource(1))
	value := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(words[r.Intn(len(words))])
			b.WriteByte(" /"[r.Intn(2)])
		}
		return b.String()
	}
	repeated := make([]string, 64)
	for i := range repeated {
		repeated[i] = value(1 + r.Intn(4))
	}
	var values []string
	for range 3000 { // hits, and a few values longer than memoLongest
		if r.Intn(100) == 0 {
			values = append(values, value(2000))
		} else {
			values = append(values, repeated[r.Intn(len(repeated))])
		}
	}
	for i := range 4 * memoWindow { // the memo fills up and starts over, then pauses
		values = append(values, fmt.Sprintf("%d %s", i, value(40)))
	}
	for range (memoPause + 2) * memoWindow { // it remembers again
		values = append(values, repeated[r.Intn(len(repeated))])
	}
	values = append(values, "bad \xff utf-8 cmd", "bad \xff utf-8 cmd")

	for _, tc := range []struct {
		name string
		dec  event.Decoder
		memo func(*candidateScan) *valueMemo
	}{
		{"raw-backed events, by text", nil, func(cs *candidateScan) *valueMemo { return &cs.texts[0] }},
		{"events decoded into maps, by value", event.Normalized{Fields: true}, func(cs *candidateScan) *valueMemo { return &cs.values[0] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			memo, view := newCandidateScan(eng.cands), event.NewFieldView(eng.slots)
			var hits, full, paused int
			for i, v := range values {
				line, _ := json.Marshal(map[string]any{"time": time.Unix(int64(i), 0).UTC().Format(time.RFC3339),
					"log_source": "Test:x", "CommandLine": v})
				ev, rej := event.DecodeLine(tc.dec, string(line), "values.jsonl", i+1)
				require.Nil(t, rej)
				view.Reset(ev)
				m := tc.memo(memo)
				key, ok := view.SlotText(f.slot)
				if !ok {
					key = v
				}
				_, known := m.marks[key]
				before, was := len(m.marks), m.paused
				memo.next()
				memo.scan(0, view)
				plain := newCandidateScan(eng.cands) // remembers nothing yet
				plain.scan(0, view)
				require.Equal(t, holding(plain), holding(memo), "value %d %.60q", i, v)
				switch {
				case was == 0 && known:
					hits++
				case before > 0 && len(m.marks) == 1:
					full++
				case m.paused > 0:
					paused++
				}
			}
			assert.Greater(t, hits, 3000, "the memo answers for the values it holds")
			assert.Positive(t, full, "the memo starts over when full")
			assert.Positive(t, paused, "the memo pauses on values that never repeat")
			assert.Zero(t, tc.memo(memo).paused, "and remembers again")
		})
	}
}

// holding is the clauses that hold of the current event, by what cs has scanned.
func holding(cs *candidateScan) []int32 {
	var ids []int32
	for id, gen := range cs.clauseGen {
		if gen == cs.gen {
			ids = append(ids, int32(id))
		}
	}
	return ids
}
