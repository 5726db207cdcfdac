package alertfmt_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/stixcel/stixcel/alertfmt"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/runtime"
)

func TestRunSummary(t *testing.T) {
	read := pump.Summary{Inputs: 1, Stats: event.ReadStats{Read: 3, Processed: 2, Rejected: map[string]int64{"invalid JSON": 1}}}
	const counts = "read 3 lines from 1 file: 2 events processed, 1 rejected (invalid JSON: 1)"
	var manyHunts []runtime.HuntCount
	for i := range 12 {
		manyHunts = append(manyHunts, runtime.HuntCount{Analytic: fmt.Sprintf("AN%04d", 12-i), Count: int64(12 - i)})
	}
	tests := []struct {
		name    string
		summary alertfmt.RunSummary
		want    string
	}{
		{"the counts", alertfmt.RunSummary{Read: read, Engine: runtime.Stats{Alerts: 1}},
			counts + "; 1 alerts, 0 hunt records\n"},
		{"no hunt record", alertfmt.RunSummary{Read: read, Hunt: true},
			counts + "; 0 alerts, 0 hunt records\nhunt total: 0 records from 0 analytics\n"},
		{"one hunt record", alertfmt.RunSummary{Read: read, Hunt: true,
			Engine: runtime.Stats{Hunts: 1, HuntsBy: []runtime.HuntCount{{Analytic: "AN0001", Count: 1}}}},
			counts + "; 0 alerts, 1 hunt records\nhunt records by analytic:\n  AN0001   1\nhunt total: 1 record from 1 analytic\n"},
		{"the top ten of twelve", alertfmt.RunSummary{Read: read, Hunt: true, Engine: runtime.Stats{Hunts: 78, HuntsBy: manyHunts}},
			counts + "; 0 alerts, 78 hunt records\nhunt records by analytic (top 10 of 12):\n" +
				"  AN0012   12\n  AN0011   11\n  AN0010   10\n  AN0009   9\n  AN0008   8\n" +
				"  AN0007   7\n  AN0006   6\n  AN0005   5\n  AN0004   4\n  AN0003   3\n" +
				"hunt total: 78 records from 12 analytics\n"},
		{"hunt records without --hunt", alertfmt.RunSummary{Read: read, Engine: runtime.Stats{Hunts: 78, HuntsBy: manyHunts}},
			counts + "; 0 alerts, 78 hunt records\n"},
		{"a batch spilled", alertfmt.RunSummary{Read: pump.Summary{Inputs: 1, Stats: event.ReadStats{Read: 9, Processed: 9}, Spilled: 9}, MaxHeld: 1 << 20},
			"read 9 lines from 1 file: 9 events processed, 0 rejected; 0 alerts, 0 hunt records\n" +
				"9 events sorted through temporary files, past 1.0 MiB held in memory (--max-held); the results are the same\n"},
		{"the limits that changed the results", alertfmt.RunSummary{
			Read:     pump.Summary{Inputs: 2, Stats: event.ReadStats{Read: 9, Processed: 9}, Forced: 4},
			MaxState: 64 << 20, MaxHeld: 3 << 19,
			Engine: runtime.Stats{Alerts: 2, Evicted: 5,
				EvictedBy:    []runtime.Evictions{{Analytic: "AN0001", Count: 3}, {Analytic: "AN0002", Count: 2}},
				StateEvicted: 7, PeakState: 70 << 20, Abandoned: 6, CutOffs: 1, TooLong: 2, EvalErrors: 4,
				ErrorsBy: []runtime.EvalErrors{{Analytic: "AN0003", Channel: "c1", Count: 4, Example: "no such key: user"}}}},
			"read 9 lines from 2 files: 9 events processed, 0 rejected; 2 alerts, 0 hunt records\n" +
				"5 group keys evicted past --max-groups (AN0001: 3, AN0002: 2)\n" +
				"7 groups evicted to keep state under 64.0 MiB (--max-state); peak 70.0 MiB\n" +
				"4 events run before their lateness had passed, to hold under 1.5 MiB of events (--max-held): results may depend on arrival order\n" +
				"6 events left unevaluated: the run was stopping (evaluation goes on for 500ms after a signal)\n" +
				"1 evaluations cut off past --max-iterations\n" +
				"2 evaluations skipped: the event's strings were longer than the expression's cost limit affords\n" +
				"4 evaluations failed and counted as no match:\n" +
				"  analytic AN0003 c1: 4 (e.g. no such key: user)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			tc.summary.Write(&b)
			assert.Equal(t, tc.want, b.String())
		})
	}
}
