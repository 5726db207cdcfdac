package serve

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetricsText(t *testing.T) {
	m := &Metrics{}
	m.EventsIn.Add(88)
	m.Alerts.Add(1)
	m.OutOfRange.Add(2)
	m.Forced.Add(5)
	m.Truncated.Add(1)
	m.setLag(3, 7)
	m.setLag(1, 0)
	m.dropLag(1)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	tests := []struct {
		path string
		want []string
	}{
		{"/metrics", []string{"# TYPE stixcel_events_total counter\nstixcel_events_total 88\n",
			"stixcel_alerts_total 1\n", "stixcel_out_of_range_total 2\n", "stixcel_forced_total 5\n",
			"stixcel_truncated_total 1\n", "stixcel_partition_lag{partition=\"3\"} 7\n"}},
		{"/healthz", []string{"ok\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := srv.Client().Get(srv.URL + tc.path)
			require.NoError(t, err)
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			body := string(data)
			for _, w := range tc.want {
				assert.Contains(t, body, w)
			}
			assert.NotContains(t, body, `partition="1"`, "a partition no longer owned is dropped")
		})
	}
}
