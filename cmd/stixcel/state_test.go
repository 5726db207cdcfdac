package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedDevices is n MobileEDR events of locked devices named by device(i), a second apart:
// each opens an AN1828 group that waits for a VPN session.
func lockedDevices(n int, device func(int) string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"time":"2026-03-20T09:%02d:%02dZ","log_source":"MobileEDR:telemetry","device_id":%q,"DeviceLockState":"locked","LastUserInteractionDelta":10,"activity":"user_interaction"}`+"\n",
			i/60%60, i%60, device(i))
	}
	return b.String()
}

// TestRunMaxState: a small --max-state evicts groups, and the summary says how many and the
// peak; a long device id is shown in the alert by its prefix, length and digest.
func TestRunMaxState(t *testing.T) {
	in := lockedDevices(1100, func(i int) string { return fmt.Sprintf("ios-%d", i) })
	r := runCLI(t, stringsReader(in), "run", "--max-state", "100KB", "--workers", "2")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `\d+ groups evicted to keep state under 97\.7 KiB \(--max-state\); peak \d+\.\d KiB`, r.stderr)

	r = runCLI(t, stringsReader(in), "run")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "--max-state", "no evictions under the default budget")

	device := strings.Repeat("d", 5000)
	beacon := `{"time":"2026-03-20T09:00:01Z","log_source":"VPN:MobileProxy","device_id":"` + device +
		`","app_bundle_id":"com.example.flashlight","session_id":"s","dst_host":"c2.example.net","dst_ip":"203.0.113.7","dst_port":4444,"protocol":"tls","service_class":"unknown"}` + "\n"
	r = runCLI(t, stringsReader(lockedDevices(1, func(int) string { return device })+beacon), "run")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Len(t, lines(r.stdout), 1, r.stderr)
	var a struct{ Group map[string]string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &a))
	assert.Regexp(t, `^d{256}… \(5000 bytes, sha256:[0-9a-f]{16}…\)$`, a.Group["device_id"])
}

// TestRunMaxHeld: on a stream, events held for the lateness count against --max-held; past
// it the oldest run early and the summary says so, every line still accounted for. A batch
// sorts them through temporary files instead: nothing is rejected, nothing said.
func TestRunMaxHeld(t *testing.T) {
	pad := strings.Repeat("p", 200_000)
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, `{"time":"2026-03-20T09:00:%02dZ","log_source":"VPN:MobileProxy","pad":%q}`+"\n", 59-i, pad)
	}
	r := runCLI(t, stringsReader(b.String()), "run", "--follow", "--max-held", "1MiB")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `read 40 lines from 1 file: \d+ events processed, \d+ rejected \(late: \d+\)`, r.stderr)
	assert.Regexp(t, `\d+ events run before their lateness had passed, to hold under 1\.0 MiB of events \(--max-held\)`, r.stderr)

	r = runCLI(t, stringsReader(b.String()), "run", "--max-held", "1MiB")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "read 40 lines from 1 file: 40 events processed, 0 rejected")
	assert.Contains(t, r.stderr, "36 events sorted through temporary files, past 1.0 MiB held in memory (--max-held); the results are the same",
		"a batch spills what it cannot hold, and says so")

	r = runCLI(t, stringsReader(b.String()), "run")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "read 40 lines from 1 file: 40 events processed, 0 rejected")
	assert.NotContains(t, r.stderr, "--max-held")
}
