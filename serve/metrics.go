package serve

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
)

// Metrics are a worker's counters, written in the Prometheus text format.
type Metrics struct {
	EventsIn  atomic.Int64 // stage 1: event lines handled (their messages acked)
	Rejected  atomic.Int64 // lines parked on the rejects subject (bad, out of range, late, too large)
	Late      atomic.Int64 // stage 2: matches older than the partition's watermark
	Matches   atomic.Int64 // stage 1: match messages published
	Applied   atomic.Int64 // stage 2: matches applied to a partition's engine
	Alerts    atomic.Int64 // alerts published (before JetStream's duplicate check)
	Takeovers atomic.Int64 // stage 2: partitions taken over
	Replayed  atomic.Int64 // stage 2: matches read since the last takeover of each partition

	OutOfRange atomic.Int64 // lines parked with a time before 1970 or over the max-ahead after their storing
	Truncated  atomic.Int64 // lines parked cut to the server's maximum payload
	Forced     atomic.Int64 // stage 2: matches applied before the lateness passed, for the max-held budget

	mu  sync.Mutex
	lag map[int]uint64 // stage 2: messages pending per owned partition

	ready readiness // what /readyz answers
}

// setLag records the messages pending in partition p.
func (m *Metrics) setLag(p int, pending uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lag == nil {
		m.lag = map[int]uint64{}
	}
	m.lag[p] = pending
}

// dropLag forgets a partition no longer owned.
func (m *Metrics) dropLag(p int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.lag, p)
}

// WriteTo writes the metrics in the Prometheus text format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	counter := func(name, help string, v int64) {
		fmt.Fprintf(cw, "# HELP stixcel_%s %s\n# TYPE stixcel_%s counter\nstixcel_%s %d\n", name, help, name, name, v)
	}
	counter("events_total", "Event lines handled by stage 1 (their messages acked).", m.EventsIn.Load())
	counter("rejected_total", "Lines parked on the rejects subject.", m.Rejected.Load())
	counter("late_total", "Matches older than their partition's watermark.", m.Late.Load())
	counter("out_of_range_total", "Lines parked because their time is out of range.", m.OutOfRange.Load())
	counter("truncated_total", "Parked lines cut to the server's maximum payload.", m.Truncated.Load())
	counter("forced_total", "Matches applied before the lateness passed, to hold under the max-held budget.", m.Forced.Load())
	counter("matches_total", "Matches published by stage 1.", m.Matches.Load())
	counter("applied_total", "Matches applied by stage 2 (a replay applies them again).", m.Applied.Load())
	counter("alerts_total", "Alerts published, duplicates included.", m.Alerts.Load())
	counter("takeovers_total", "Partitions taken over by this worker.", m.Takeovers.Load())
	counter("replayed_total", "Matches read by this worker's partition owners.", m.Replayed.Load())
	ready := 1
	if m.ready.notReady() != "" {
		ready = 0
	}
	fmt.Fprintf(cw, "# HELP stixcel_ready Whether every stage of this worker has built its engine and consumes (1) or not yet (0).\n# TYPE stixcel_ready gauge\nstixcel_ready %d\n", ready)
	m.mu.Lock()
	parts := make([]int, 0, len(m.lag))
	for p := range m.lag {
		parts = append(parts, p)
	}
	sort.Ints(parts)
	fmt.Fprintf(cw, "# HELP stixcel_partition_lag Messages pending per owned partition.\n# TYPE stixcel_partition_lag gauge\n")
	for _, p := range parts {
		fmt.Fprintf(cw, "stixcel_partition_lag{partition=\"%d\"} %d\n", p, m.lag[p])
	}
	m.mu.Unlock()
	return cw.n, cw.err
}

// Handler serves the metrics on /metrics, "ok" on /healthz while the process runs (liveness),
// and on /readyz "ready" once every stage it runs has built its engine and consumes, else
// 503 with what it waits for (readiness: a load balancer or Kubernetes sends it nothing
// before).
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = m.WriteTo(w)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if why := m.ready.notReady(); why != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "not ready: "+why+"\n")
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	return mux
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
