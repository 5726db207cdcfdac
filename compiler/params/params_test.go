package params

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
)

// TestInfer runs real (field, description) pairs from the ATT&CK v18.1 corpus.
func TestInfer(t *testing.T) {
	tests := []struct {
		name      string
		field     string
		desc      string
		wantType  string
		wantValue any
		wantWhy   string // a substring of Why, when it matters
	}{
		// Durations.
		{name: "window with e.g. seconds", field: "TimeWindow",
			desc:     "Defines correlation window (e.g., 60s) between suspicious syscalls and follow-on host process activity.",
			wantType: "duration", wantValue: "1m", wantWhy: `name ends in Window → duration; "e.g., 60s" → 1m`},
		{name: "window with default seconds", field: "TimeWindow",
			desc:     "Temporal correlation window for linking permission modification with subsequent access attempts (default: 300 seconds)",
			wantType: "duration", wantValue: "5m"},
		{name: "window with comparator", field: "TimeWindow",
			desc:     "Cluster rapid test connections with command execution in < 60 seconds",
			wantType: "duration", wantValue: "1m"},
		{name: "window as a bare default", field: "TimeWindow", desc: "Default 90 minutes.",
			wantType: "duration", wantValue: "1h30m"},
		{name: "window within minutes", field: "TimeWindow",
			desc:     "Detection triggers when Event ID 4720 follows a suspicious process within 2 minutes.",
			wantType: "duration", wantValue: "2m"},
		{name: "window range has no value", field: "TimeWindow",
			desc:     "The time between AV alert and similar file/process activity (e.g., 5–30 minutes)",
			wantType: "duration", wantWhy: "range"},
		{name: "window with two examples has no value", field: "TimeWindow",
			desc:     "Define threshold period over which request spikes are measured. E.g., 10 min or 1 hour windows.",
			wantType: "duration", wantWhy: "several values (10m, 1h)"},
		{name: "window from a to b has no value", field: "IdpAlertWindow",
			desc:     "Time window to correlate IdP events to endpoint compromise alerts (default 30 minutes to 2 hours).",
			wantType: "duration", wantWhy: "range"},
		{name: "jitter is not the window", field: "BeaconIntervalWindow",
			desc: "Fixed-timed HTTP callbacks with 60±5s jitter", wantType: "duration"},
		{name: "name starting with TimeWindow", field: "TimeWindowKnock",
			desc:     "Window to correlate knock sequence → rule change → successful connect (e.g., 120s).",
			wantType: "duration", wantValue: "2m"},
		{name: "age in days", field: "process_baseline_age",
			desc: "Time window to determine process novelty (e.g., 30 days)", wantType: "duration", wantValue: "720h"},
		{name: "interval spelled in words", field: "JobRunInterval",
			desc: "Unexpected periodic job intervals (e.g., every minute).", wantType: "duration", wantValue: "1m"},
		{name: "interval threshold", field: "CronIntervalThreshold",
			desc: "Minimum repetition frequency (e.g., 24h for daily jobs)", wantType: "duration", wantValue: "24h"},
		{name: "lifetime threshold", field: "TokenLifetimeThreshold",
			desc:     "Defines the maximum expected lifetime of a SAML token (e.g., >1 hour considered anomalous).",
			wantType: "duration", wantValue: "1h"},
		{name: "ttl threshold", field: "TTLThreshold",
			desc: "Minimum TTL value considered suspicious (e.g., < 60 seconds)", wantType: "duration", wantValue: "1m"},
		{name: "threshold described as time", field: "ScriptExecutionThreshold",
			desc:     "Time threshold for script execution after HID injection, e.g., less than 10 seconds.",
			wantType: "duration", wantValue: "10s", wantWhy: `description says "Time threshold"`},
		{name: "tolerance in seconds", field: "KnockTolerance",
			desc: "Max seconds between hits inside the sequence.", wantType: "duration"},
		{name: "tolerance that counts things", field: "LineageMismatchTolerance",
			desc: "Number of mismatched sources (0–3) before alerting to reduce noise.", wantType: "int"},
		{name: "schedule with tolerance", field: "RepeatIntervalDelta",
			desc: "Time-based logic to determine schedule (e.g., ~24h ± 5m)", wantType: "duration", wantWhy: "range"},

		// Masks.
		{name: "access mask set to hex", field: "AccessMask",
			desc:     "Set to 0x1F0FFF to detect full memory access attempts; can be scoped down to reduce noise.",
			wantType: "int", wantValue: int64(0x1F0FFF), wantWhy: `"Set to 0x1F0FFF" → 2035711 (0x1F0FFF)`},
		{name: "access mask example", field: "AccessMask",
			desc:     "Tunable based on what memory-level access the keylogger uses (e.g., 0x10 for read)",
			wantType: "int", wantValue: int64(16)},
		{name: "two masks give none", field: "AccessMask",
			desc:     "Tuning based on whether processes are using specific sensitive access rights (e.g., 0x2 or 0x4).",
			wantType: "int", wantWhy: "several masks"},
		{name: "mask set with names", field: "AccessMaskSet",
			desc:     "Access rights implying injection (e.g., 0x1FFFFF, 0x1F3FF, VM_WRITE, VM_OPERATION, CREATE_THREAD). Tune by EDR mapping.",
			wantType: "list(int)"},

		// Numbers.
		{name: "entropy threshold is double", field: "EntropyThreshold",
			desc: "Shannon entropy for payloads (e.g., >4.5).", wantType: "double", wantValue: 4.5},
		{name: "entropy threshold without value", field: "EntropyThreshold",
			desc: "Payload entropy minimum.", wantType: "double"},
		{name: "entropy range", field: "PayloadEntropyThreshold",
			desc:     "Shannon entropy cutoff to consider payload suspicious (e.g., > 4.5–5.0 for HTTP body).",
			wantType: "double", wantWhy: "range"},
		{name: "ratio a to b", field: "BytesOutToInRatio",
			desc: "Minimum ratio to treat flow as asymmetric (e.g., ≥ 4:1).", wantType: "double", wantValue: 4.0},
		{name: "thousands separator", field: "PacketRateThreshold",
			desc:     "Defines the burst threshold (e.g., 10,000 pps) above which activity should be flagged as anomalous.",
			wantType: "double", wantValue: 10000.0},
		{name: "count threshold", field: "FailedLogonThreshold",
			desc: "Number of failed logons before raising suspicion (e.g., >5).", wantType: "int", wantValue: int64(5)},
		{name: "score out of a scale", field: "BehaviorRiskScoreThreshold",
			desc:     "Numeric threshold for fused, scored correlation (e.g., ≥70/100 triggers an alert).",
			wantType: "int", wantValue: int64(70)},
		{name: "value after equals", field: "AnomalousSIDCountThreshold",
			desc:     "Raise alerts when a token contains more than X SID-History entries (default X=2).",
			wantType: "int", wantValue: int64(2)},
		{name: "size in the name's unit", field: "DataVolumeThresholdMB",
			desc: "Set threshold for outbound volume (e.g., >50MB in a single connection).", wantType: "int", wantValue: int64(50)},
		{name: "size in bytes", field: "FileWriteThreshold",
			desc:     "Alert if written bytes to /proc/[pid]/mem exceed a suspicious threshold (e.g., >4096 bytes)",
			wantType: "int", wantValue: int64(4096)},
		{name: "size in another unit is left alone", field: "UploadSizeThreshold",
			desc: "Minimum data size (e.g., >500KB) to trigger alerts for suspicious uploads.", wantType: "int", wantWhy: "500KB"},
		{name: "percent is left alone", field: "MinConnErrorRate",
			desc: "Percent of failed/aborted connections to treat as anomalous (default: 30%).", wantType: "double", wantWhy: "30%"},
		{name: "count range", field: "FailureThreshold",
			desc: "Count of failed logons before raising an alert (e.g., 10-15)", wantType: "int", wantWhy: "range"},
		{name: "comparator picks the bound", field: "PortDeviationThreshold",
			desc:     "Deviation from common service ports (e.g., >1024 when DNS resolved service expects 80/443)",
			wantType: "int", wantValue: int64(1024)},
		{name: "event id is not a value", field: "ScriptBlockLengthThreshold",
			desc:     "Adjustable threshold for length of script blocks logged by Event ID 4104 (useful for filtering noise).",
			wantType: "int"},

		// Ports.
		{name: "port in parentheses", field: "ListeningPort",
			desc: "Default VNC port (5900) but may vary in config", wantType: "int", wantValue: int64(5900)},
		{name: "one port, many examples", field: "DestinationPort",
			desc:     "RMM software may use configurable or random high ports outside of standard (e.g., 7070, 5650)",
			wantType: "int", wantWhy: "several values"},
		{name: "port set with slash", field: "ServicePortSet", desc: "22, 5900, 8080/8443 by default.",
			wantType: "list(int)", wantValue: []any{int64(22), int64(5900), int64(8080), int64(8443)}},
		{name: "ports without spaces", field: "WatchedPorts",
			desc:     "Ports of interest to flag when opened (e.g., 22,23,2323,8022,3389,8080).",
			wantType: "list(int)", wantValue: []any{int64(22), int64(23), int64(2323), int64(8022), int64(3389), int64(8080)}},
		{name: "ports with protocol labels", field: "AmplificationProtocolPorts",
			desc:     "List of known ports used for reflection amplification (e.g., 53/DNS, 123/NTP, 11211/Memcached)",
			wantType: "list(int)", wantValue: []any{int64(53), int64(123), int64(11211)}},
		{name: "ports after a colon", field: "MgmtPortSet", desc: "Mgmt ports to focus on: 22,23,2323,80,443,161,4786.",
			wantType: "list(int)", wantValue: []any{int64(22), int64(23), int64(2323), int64(80), int64(443), int64(161), int64(4786)}},
		{name: "ports mixed with prose", field: "ReversePorts",
			desc:     "Likely egress ports to watch after trigger (4444, 53, 80/443, 8080, high ephemeral).",
			wantType: "list(int)"},

		// Lists.
		{name: "list after e.g.", field: "AllowedProcesses",
			desc:     "Known legitimate camera consumers (e.g., Teams.exe, zoom.exe, obs64.exe) to suppress.",
			wantType: "list(string)", wantValue: []any{"Teams.exe", "zoom.exe", "obs64.exe"}},
		{name: "list after a colon", field: "HighRiskChildren",
			desc:     "LOLBIN list: powershell.exe, cmd.exe, wscript.exe, cscript.exe, mshta.exe, rundll32.exe, regsvr32.exe, msiexec.exe, curl.exe, bitsadmin.exe, pcalua.exe, expand.exe, tar.exe.",
			wantType: "list(string)", wantValue: []any{"powershell.exe", "cmd.exe", "wscript.exe", "cscript.exe", "mshta.exe",
				"rundll32.exe", "regsvr32.exe", "msiexec.exe", "curl.exe", "bitsadmin.exe", "pcalua.exe", "expand.exe", "tar.exe"}},
		{name: "description that is a list", field: "ArchiveUtilities", desc: "tar, gzip, zip, 7z",
			wantType: "list(string)", wantValue: []any{"tar", "gzip", "zip", "7z"}},
		{name: "list with prose item", field: "MonitoredDirectories",
			desc:     "Non-standard library paths (e.g., /tmp, user home dirs). May be tuned to reduce false positives from benign development activity.",
			wantType: "list(string)"},
		{name: "typically beats a later such as", field: "MonitoredPaths",
			desc:     "Paths to monitor for service unit files, typically /etc/systemd/system and /usr/lib/systemd/system. Adversaries may use uncommon locations such as /tmp.",
			wantType: "list(string)", wantValue: []any{"/etc/systemd/system", "/usr/lib/systemd/system"}},
		{name: "items keep their dots", field: "XattrNamespaces",
			desc:     "Namespaces monitored for suspicious activity (user., trusted., security.). Organizations may tune to reduce noise from benign use.",
			wantType: "list(string)", wantValue: []any{"user.", "trusted.", "security."}},
		{name: "plural acronym", field: "AllowedTeamIDs",
			desc: "Developer Team IDs approved for kext/system extension loads.", wantType: "list(string)"},
		{name: "list of in the description", field: "UserContextFilter",
			desc: "List of usernames that are authorized to define user-level services", wantType: "list(string)"},

		// Patterns, flags, maps, strings.
		{name: "pattern is regex", field: "CommandLinePattern",
			desc: "Common dumping syntax like rundll32, procdump, comsvcs.dll, Invoke-Mimikatz.", wantType: "regex"},
		{name: "plural patterns", field: "RegexPatterns",
			desc: "Regex patterns for suspicious use of xattr or openssl parameters", wantType: "list(regex)"},
		{name: "only flag", field: "UnsignedOnly", desc: "Alert only when code-signing is invalid or absent.", wantType: "bool"},
		{name: "enable or disable", field: "ADSDetection",
			desc: "Enable or disable detection of Alternate Data Streams depending on business use.", wantType: "bool"},
		{name: "mappings without ports", field: "AuthorizedRoleMappings",
			desc: "Define expected users and roles allowed to use AssumeRole or federation APIs.", wantType: "map(string, list(string))"},
		{name: "string fallback", field: "UserContext",
			desc: "May differ depending on local user, root escalation, or persistence method", wantType: "string",
			wantWhy: "no rule matched"},
		{name: "single example string", field: "MountPath",
			desc:     "Path matching (e.g., /opt/tinypilot) is mutable based on distro, customization, and staging.",
			wantType: "string", wantValue: "/opt/tinypilot"},
		{name: "string with two examples", field: "ProcessName",
			desc:     "Exclude legitimate updates (e.g., msdeploy.exe) and alert on suspicious editors (e.g., notepad.exe, certutil.exe)",
			wantType: "string"},
		{name: "default as an adjective", field: "SSHMethod",
			desc:     "Environments using passwordless SSH should not have password logins enabled for root or other default accounts.",
			wantType: "string"},
		{name: "business hours", field: "WorkHours",
			desc: "Baseline normal data transfer hours to reduce false positives.", wantType: "string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Infer(tc.field, tc.desc)
			assert.Equal(t, tc.wantType, got.Type, "Infer(%q).Type; why: %s", tc.field, got.Why)
			assert.Equal(t, tc.wantValue, got.Value, "Infer(%q).Value; why: %s", tc.field, got.Why)
			assert.Contains(t, got.Why, tc.wantWhy)
			assertCanonical(t, got)
		})
	}
}

// TestInferSeed checks the flagship analytic AN1828: its descriptions state no values.
func TestInferSeed(t *testing.T) {
	path := shared.Path(t, "seed", "AN1828.json")
	want := map[string]string{
		"AllowedProtocolPortMappings": "map(string, list(int))",
		"SupervisedRequired":          "bool",
		"AllowedManagedApps":          "list(string)",
		"AllowedServiceClasses":       "list(string)",
		"TimeWindow":                  "duration",
		"RecentUserInteractionWindow": "duration",
		"BeaconIntervalTolerance":     "duration",
		"EnterpriseExceptionList":     "list(string)",
	}
	elems := readElements(t, path)
	require.Len(t, elems, len(want))
	for _, el := range elems {
		got := Infer(el.Field, el.Description)
		assert.Equal(t, want[el.Field], got.Type, "%s: %s", el.Field, got.Why)
		assert.Nil(t, got.Value, "%s: %s", el.Field, got.Why)
	}
}

func TestInferPortMapValue(t *testing.T) {
	got := Infer("AllowedProtocolPortMappings", "Approved protocol-to-port pairings (e.g., tls: 443; http: 80, 8080; quic=443)")
	assert.Equal(t, "map(string, list(int))", got.Type)
	assert.Equal(t, map[string]any{
		"tls":  []any{int64(443)},
		"http": []any{int64(80), int64(8080)},
		"quic": []any{int64(443)},
	}, got.Value, got.Why)
	assertCanonical(t, got)
}

func TestInferBoolValue(t *testing.T) {
	got := Infer("SupervisedRequired", "Require supervised devices (default: true).")
	assert.Equal(t, Inferred{Type: "bool", Value: true,
		Why: `name ends in Required → bool; "default: true" → true`}, got)
}

func TestParseName(t *testing.T) {
	tests := []struct {
		field  string
		words  []string
		plural bool // of the last word
	}{
		{"TimeWindow_ProcessCreateToResume", []string{"Time", "Window", "Process", "Create", "To", "Resume"}, false},
		{"AllowedTeamIDs", []string{"Allowed", "Team", "IDs"}, true},
		{"DLLSignatureStatus", []string{"DLL", "Signature", "Status"}, false},
		{"TTLThreshold", []string{"TTL", "Threshold"}, false},
		{"process_baseline_age", []string{"process", "baseline", "age"}, false},
		{"HighRiskChildren", []string{"High", "Risk", "Children"}, true},
		{"AllowedServiceClasses", []string{"Allowed", "Service", "Classes"}, true},
		{"UntrustedCIDR/DNS", []string{"Untrusted", "CIDR", "DNS"}, false},
		{"HTTP5xxRateThreshold", []string{"HTTP", "5", "xx", "Rate", "Threshold"}, false},
		{"", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			n := parseName(tc.field)
			var got []string
			for _, w := range n.words {
				got = append(got, w.text)
			}
			assert.Equal(t, tc.words, got)
			assert.Equal(t, tc.plural, n.last().plural)
		})
	}
}

// assertCanonical checks that a value is already in the plan's JSON form for its type.
func assertCanonical(t *testing.T, got Inferred) {
	t.Helper()
	err := plan.ParseType(got.Type).Err()
	require.NoError(t, err, "type %q", got.Type)
	canon, err := plan.ParseType(got.Type).Canonical(got.Value)
	require.NoError(t, err, "value %#v of type %s (%s)", got.Value, got.Type, got.Why)
	assert.Equal(t, got.Value, canon, "value not canonical (%s)", got.Why)
}

// element is one x_mitre_mutable_elements entry.
type element struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// readElements returns the mutable elements of every object of a STIX bundle, read with
// encoding/json (the loader is another package's job).
func readElements(tb testing.TB, path string) []element {
	tb.Helper()
	b, err := os.ReadFile(path)
	require.NoError(tb, err)
	var bundle struct {
		Objects []struct {
			Elements []element `json:"x_mitre_mutable_elements"`
		} `json:"objects"`
	}
	require.NoError(tb, json.Unmarshal(b, &bundle), path)
	var out []element
	for _, o := range bundle.Objects {
		out = append(out, o.Elements...)
	}
	return out
}
