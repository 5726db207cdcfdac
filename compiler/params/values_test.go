package params

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestInferStatedValues covers the value shapes descriptions use, one per phrasing.
func TestInferStatedValues(t *testing.T) {
	tests := []struct {
		name, field, desc string
		wantType          string
		wantValue         any
	}{
		{"within seconds", "TimeWindow", "Correlate both events within 10 seconds.", "duration", "10s"},
		{"hours without a cue", "TimeWindow", "Aggregate over 24 hours of activity.", "duration", "24h"},
		{"one hour", "CorrelationWindow", "Join the two channels (e.g., 1 hour).", "duration", "1h"},
		{"threshold of", "EntropyThreshold", "Alert above a threshold of 7.2.", "double", 7.2},
		{"default count", "FailureCount", "Failures before alerting, default 10.", "int", int64(10)},
		{"fraction settles double", "SimilarityScore", "Match score (e.g., 0.8).", "double", 0.8},
		{"such as ports", "ApprovedPorts", "Approved TLS ports such as 443, 8443.", "list(int)", []any{int64(443), int64(8443)}},
		{"e.g. names", "ParentNames", "Service hosts (e.g., svchost.exe, services.exe).", "list(string)", []any{"svchost.exe", "services.exe"}},
		{"quoted items keep spaces", "SuspiciousArgs", "Arguments (e.g., 'IEX (', \"-enc\").", "list(string)", []any{"IEX (", "-enc"}},
		{"bool default false", "IsStrict", "Whether matching is strict (default: false).", "bool", false},
		{"huge duration is no value", "TimeWindow", "e.g., 99999999999999999999 hours", "duration", nil},
		{"huge number is no value", "FailedLogonThreshold", "e.g., >99999999999999999999", "int", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Infer(tc.field, tc.desc)
			assert.Equal(t, tc.wantType, got.Type, got.Why)
			assert.Equal(t, tc.wantValue, got.Value, got.Why)
			assertCanonical(t, got)
		})
	}
}
