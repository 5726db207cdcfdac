package alertfmt

import (
	"fmt"
	"io"
	"strings"

	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/runtime"
)

// MaxHuntLines caps the analytics the hunt summary lists; the total counts them all.
const MaxHuntLines = 10

// RunSummary is what `stixcel run` tells people on stderr once its outputs are written: the
// pump's count line with the engine's alerts and hunt records, the hunt records by analytic
// (with --hunt), then a line for each limit that changed the results (evictions, events run
// early, evaluations left, cut off, skipped or failed).
type RunSummary struct {
	Read   pump.Summary
	Engine runtime.Stats
	// Hunt lists the analytics with the most hunt records (run --hunt).
	Hunt bool
	// MaxState and MaxHeld are the limits (--max-state, --max-held) the lines name.
	MaxState, MaxHeld int64
}

// Write writes the summary to w.
func (s RunSummary) Write(w io.Writer) {
	st := s.Engine
	fmt.Fprintf(w, "%s; %d alerts, %d hunt records\n", s.Read, st.Alerts, st.Hunts)
	if s.Hunt {
		writeHunts(w, st)
	}
	s.writeEvictions(w)
	if s.Read.Forced > 0 {
		fmt.Fprintf(w, "%d events run before their lateness had passed, to hold under %s of events (--max-held): results may depend on arrival order\n",
			s.Read.Forced, byteText(s.MaxHeld))
	}
	if s.Read.Spilled > 0 {
		fmt.Fprintf(w, "%d events sorted through temporary files, past %s held in memory (--max-held); the results are the same\n",
			s.Read.Spilled, byteText(s.MaxHeld))
	}
	writeEvaluations(w, st)
}

// writeHunts lists the analytics with the most hunt records, then the total.
func writeHunts(w io.Writer, st runtime.Stats) {
	n := len(st.HuntsBy)
	if n > MaxHuntLines {
		fmt.Fprintf(w, "hunt records by analytic (top %d of %d):\n", MaxHuntLines, n)
	} else if n > 0 {
		fmt.Fprintln(w, "hunt records by analytic:")
	}
	for _, h := range st.HuntsBy[:min(n, MaxHuntLines)] {
		fmt.Fprintf(w, "  %-8s %d\n", h.Analytic, h.Count)
	}
	fmt.Fprintf(w, "hunt total: %d %s from %d %s\n", st.Hunts, plural(st.Hunts, "record", "records"),
		n, plural(int64(n), "analytic", "analytics"))
}

// writeEvictions tells the groups evicted at the group cap and for the state budget.
func (s RunSummary) writeEvictions(w io.Writer) {
	st := s.Engine
	if st.Evicted > 0 {
		var by []string
		for _, e := range st.EvictedBy {
			by = append(by, fmt.Sprintf("%s: %d", e.Analytic, e.Count))
		}
		fmt.Fprintf(w, "%d group keys evicted past --max-groups (%s)\n", st.Evicted, strings.Join(by, ", "))
	}
	if st.StateEvicted > 0 {
		fmt.Fprintf(w, "%d groups evicted to keep state under %s (--max-state); peak %s\n",
			st.StateEvicted, byteText(s.MaxState), byteText(st.PeakState))
	}
}

// writeEvaluations tells the evaluations left, cut off, skipped or failed, the failures by
// analytic and channel with an example.
func writeEvaluations(w io.Writer, st runtime.Stats) {
	if st.Abandoned > 0 {
		fmt.Fprintf(w, "%d events left unevaluated: the run was stopping (evaluation goes on for %s after a signal)\n",
			st.Abandoned, runtime.StopGrace)
	}
	if st.CutOffs > 0 {
		fmt.Fprintf(w, "%d evaluations cut off past --max-iterations\n", st.CutOffs)
	}
	if st.TooLong > 0 {
		fmt.Fprintf(w, "%d evaluations skipped: the event's strings were longer than the expression's cost limit affords\n", st.TooLong)
	}
	if st.EvalErrors > 0 {
		fmt.Fprintf(w, "%d evaluations failed and counted as no match:\n", st.EvalErrors)
		for _, e := range st.ErrorsBy {
			fmt.Fprintf(w, "  analytic %s %s: %d (e.g. %s)\n", e.Analytic, e.Channel, e.Count, e.Example)
		}
	}
}

// byteText formats a byte count in MiB, or in KiB below 1 MiB (a --max-held of 1KiB is not
// "0.0 MiB").
func byteText(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
