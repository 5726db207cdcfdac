package serve

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// get returns the status and body of path on srv.
func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(data)
}

func TestReadyzSaysWhatItWaitsFor(t *testing.T) {
	tests := []struct {
		name    string
		set     func(m *Metrics)
		ready   bool
		waitFor string
	}{
		{"a worker that runs no stage", func(m *Metrics) {}, true, ""},
		{"both stages expected", func(m *Metrics) { m.Expect(true, true) }, false, "stage 1 is starting (building its engine); stage 2 is starting"},
		{"stage 1 ready, stage 2 starting", func(m *Metrics) {
			m.Expect(true, true)
			m.ready.stage1.Store(stageReady)
		}, false, "stage 2 is starting"},
		{"stage 2 still trying leases", func(m *Metrics) {
			m.Expect(false, true)
			m.ready.stage2.Store(stageReady)
			m.ready.untried.Store(3)
		}, false, "stage 2 has 3 partitions' leases to try"},
		{"stage 2 building a partition's engine", func(m *Metrics) {
			m.Expect(false, true)
			m.ready.stage2.Store(stageReady)
			m.ready.building.Store(1)
		}, false, "stage 2 is building the engines of 1 partitions it took over"},
		{"a stage that failed", func(m *Metrics) {
			m.Expect(true, false)
			m.ready.stage1.Store(stageDown)
		}, false, "stage 1 failed and starts again"},
		{"both ready", func(m *Metrics) {
			m.Expect(true, true)
			m.ready.stage1.Store(stageReady)
			m.ready.stage2.Store(stageReady)
		}, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &Metrics{}
			tc.set(m)
			srv := httptest.NewServer(m.Handler())
			defer srv.Close()
			code, body := get(t, srv, "/readyz")
			_, metrics := get(t, srv, "/metrics")
			if tc.ready {
				assert.Equal(t, http.StatusOK, code)
				assert.Equal(t, "ready\n", body)
				assert.Contains(t, metrics, "stixcel_ready 1\n")
			} else {
				assert.Equal(t, http.StatusServiceUnavailable, code)
				assert.Contains(t, body, tc.waitFor)
				assert.Contains(t, metrics, "stixcel_ready 0\n")
			}
			code, body = get(t, srv, "/healthz")
			assert.Equal(t, http.StatusOK, code, "liveness does not wait for the engines")
			assert.Equal(t, "ok\n", body)
		})
	}
}

// TestReadyzAfterTheStagesStart runs both stages on a server: /readyz answers 503 until
// stage 1 has built its engine and stage 2 has tried every lease and built the engines of
// the partitions it took, then 200.
func TestReadyzAfterTheStagesStart(t *testing.T) {
	s := startServer(t)
	js := connect(t, s.ClientURL())
	require.NoError(t, Setup(context.Background(), js, testNames))
	set := compileSet(t)
	m := &Metrics{}
	m.Expect(true, true)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	code, _ := get(t, srv, "/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code, "not ready before the stages run")

	s1 := run((&Stage1{JS: js, Names: testNames, Set: set, Metrics: m}).Run)
	s2 := run((&Stage2{JS: js, Names: testNames, Set: set, Metrics: m}).Run)
	require.Eventually(t, func() bool { code, _ := get(t, srv, "/readyz"); return code == http.StatusOK },
		20*time.Second, 20*time.Millisecond, "ready once both stages consume")
	assert.Zero(t, m.ready.untried.Load())
	assert.Zero(t, m.ready.building.Load())
	require.NoError(t, s1.stop(t))
	require.NoError(t, s2.stop(t))
}
