package channel

import (
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
)

// deriveCase is one channel string from ATT&CK v18.1 (or the AN1828 seed), with its log
// source, and the selector stixcel must derive: CEL, or "" with a reason starting with
// wantReason.
type deriveCase struct {
	name       string
	logSource  string
	channel    string
	wantCEL    string
	wantReason string
}

var deriveCases = []deriveCase{
	// Event codes.
	{name: "sysmon process create", logSource: "WinEventLog:Sysmon", channel: "EventCode=1",
		wantCEL: `has(event.EventCode) && event.EventCode == 1`},
	{name: "sysmon network and dns", logSource: "WinEventLog:Sysmon", channel: "EventCode=3, 22",
		wantCEL: `has(event.EventCode) && event.EventCode in [3, 22]`},
	{name: "security object access", logSource: "WinEventLog:Security", channel: "EventCode=4663, 4670, 4656",
		wantCEL: `has(event.EventCode) && event.EventCode in [4663, 4670, 4656]`},
	{name: "powershell script block", logSource: "WinEventLog:PowerShell", channel: "EventCode=4103, 4104, 4105, 4106",
		wantCEL: `has(event.EventCode) && event.EventCode in [4103, 4104, 4105, 4106]`},
	{name: "repeated field name", logSource: "WinEventLog:Security", channel: "EventCode=4778, EventCode=4779",
		wantCEL: `has(event.EventCode) && event.EventCode in [4778, 4779]`},
	{name: "sysmon for linux", logSource: "linux:Sysmon", channel: "EventCode=7",
		wantCEL: `has(event.EventCode) && event.EventCode == 7`},
	{name: "event codes with annotations", logSource: "WinEventLog:System", channel: "EventCode=5005 (WLAN), EventCode=302 (Bluetooth)",
		wantReason: "multiple conditions"},

	// Syscalls and other closed word lists.
	{name: "execve", logSource: "auditd:SYSCALL", channel: "execve",
		wantCEL: `has(event.syscall) && event.syscall == "execve"`},
	{name: "write and rename", logSource: "auditd:SYSCALL", channel: "write, rename",
		wantCEL: `has(event.syscall) && event.syscall in ["write", "rename"]`},
	{name: "slash list", logSource: "auditd:SYSCALL", channel: "socket/connect",
		wantCEL: `has(event.syscall) && event.syscall in ["socket", "connect"]`},
	{name: "no spaces", logSource: "auditd:SYSCALL", channel: "open,creat,rename,write",
		wantCEL: `has(event.syscall) && event.syscall in ["open", "creat", "rename", "write"]`},
	{name: "syscall prefix then prose", logSource: "auditd:SYSCALL", channel: "execve: Execution of CLI tools like psql, mysql, mongo, sqlite3",
		wantCEL: `has(event.syscall) && event.syscall == "execve"`},
	{name: "syscall list prefix then prose", logSource: "auditd:SYSCALL", channel: "open, write: Modification of /boot/grub/* or /boot/efi/*",
		wantCEL: `has(event.syscall) && event.syscall in ["open", "write"]`},
	{name: "syscall then connector", logSource: "auditd:SYSCALL", channel: "execve of smbclient, smbmap, rpcclient, nmblookup, crackmapexec smb",
		wantCEL: `has(event.syscall) && event.syscall == "execve"`},
	{name: "syscalls named as such", logSource: "auditd:SYSCALL", channel: "open/write syscalls targeting /etc/ld.so.preload or binaries in /usr/bin",
		wantCEL: `has(event.syscall) && event.syscall in ["open", "write"]`},
	{name: "system call", logSource: "auditd:SYSCALL", channel: "mount system call with bind or remap flags",
		wantCEL: `has(event.syscall) && event.syscall == "mount"`},
	{name: "syscall membership", logSource: "auditd:SYSCALL", channel: "syscall in (chmod, fchmod, fchmodat, chown, fchown, fchownat, setxattr, lsetxattr, fsetxattr)",
		wantCEL: `has(event.syscall) && event.syscall in ["chmod", "fchmod", "fchmodat", "chown", "fchown", "fchownat", "setxattr", "lsetxattr", "fsetxattr"]`},
	{name: "ebpf execve", logSource: "ebpf:syscalls", channel: "execve",
		wantCEL: `has(event.syscall) && event.syscall == "execve"`},
	{name: "kubernetes verbs", logSource: "kubernetes:audit", channel: "create or update events for RoleBinding or ClusterRoleBinding objects",
		wantCEL: `has(event.verb) && event.verb in ["create", "update"]`},
	{name: "osquery tables", logSource: "macos:osquery", channel: "process_events/socket_events",
		wantCEL: `has(event.table) && event.table in ["process_events", "socket_events"]`},
	{name: "zeek logs", logSource: "NSM:Flow", channel: "http.log, ssl.log, websocket.log",
		wantCEL: `has(event._path) && event._path in ["http", "ssl", "websocket"]`},
	{name: "log source name case", logSource: "NSM:FLow", channel: "dns.log",
		wantCEL: `has(event._path) && event._path == "dns"`},

	// Pattern vocabularies.
	{name: "cloudtrail", logSource: "AWS:CloudTrail", channel: "CreateUser",
		wantCEL: `has(event.eventName) && event.eventName == "CreateUser"`},
	{name: "cloudtrail or list", logSource: "AWS:CloudTrail", channel: "StopLogging, DeleteTrail, or DisableSecurityService",
		wantCEL: `has(event.eventName) && event.eventName in ["StopLogging", "DeleteTrail", "DisableSecurityService"]`},
	{name: "cloudtrail bar list", logSource: "AWS:CloudTrail", channel: "CreateUser|AttachRolePolicy|CreateAccessKey|UpdateAssumeRolePolicy|CreateLoginProfile",
		wantCEL: `has(event.eventName) && event.eventName in ["CreateUser", "AttachRolePolicy", "CreateAccessKey", "UpdateAssumeRolePolicy", "CreateLoginProfile"]`},
	{name: "cloudtrail labelled by its field", logSource: "AWS:CloudTrail", channel: "eventName: RunInstances, CreateUser, PutRolePolicy, InvokeCommand",
		wantCEL: `has(event.eventName) && event.eventName in ["RunInstances", "CreateUser", "PutRolePolicy", "InvokeCommand"]`},
	{name: "m365 cmdlets", logSource: "m365:unified", channel: "Set-Mailbox, New-InboxRule",
		wantCEL: `has(event.Operation) && event.Operation in ["Set-Mailbox", "New-InboxRule"]`},
	{name: "m365 operations", logSource: "m365:unified", channel: "FileAccessed, FileDownloaded, ConsentGranted",
		wantCEL: `has(event.Operation) && event.Operation in ["FileAccessed", "FileDownloaded", "ConsentGranted"]`},
	{name: "okta event types", logSource: "saas:okta", channel: "user.lifecycle.delete, user.account.lock",
		wantCEL: `has(event.eventType) && event.eventType in ["user.lifecycle.delete", "user.account.lock"]`},
	{name: "endpoint security", logSource: "macos:endpointsecurity", channel: "ES_EVENT_TYPE_NOTIFY_EXEC, ES_EVENT_TYPE_NOTIFY_MMAP",
		wantCEL: `has(event.event_type) && event.event_type in ["ES_EVENT_TYPE_NOTIFY_EXEC", "ES_EVENT_TYPE_NOTIFY_MMAP"]`},
	{name: "entra audit activity with spaces", logSource: "azure:audit", channel: "Add member to role",
		wantCEL: `has(event.operationName) && event.operationName == "Add member to role"`},

	// Field=value and field: values.
	{name: "seed lock state in prose", logSource: "MobileEDR:telemetry", channel: "DeviceLockState=locked during outbound session using non-standard protocol-to-port pairing",
		wantCEL: `has(event.DeviceLockState) && event.DeviceLockState == "locked"`},
	{name: "unified log subsystem", logSource: "macos:unifiedlog", channel: "subsystem=com.apple.TCC",
		wantCEL: `has(event.subsystem) && event.subsystem == "com.apple.TCC"`},
	{name: "unified log subsystem list", logSource: "macos:unifiedlog", channel: "subsystem=com.apple.Security or com.apple.applescript",
		wantCEL: `has(event.subsystem) && event.subsystem in ["com.apple.Security", "com.apple.applescript"]`},
	{name: "quoted value", logSource: "macos:unifiedlog", channel: "process = 'sshd'",
		wantCEL: `has(event.process) && event.process == "sshd"`},
	{name: "api call field", logSource: "ETW:Token", channel: "api_call: DuplicateTokenEx, ImpersonateLoggedOnUser, SetThreadToken",
		wantCEL: `has(event.api_call) && event.api_call in ["DuplicateTokenEx", "ImpersonateLoggedOnUser", "SetThreadToken"]`},
	{name: "cmdlet name field", logSource: "WinEventLog:PowerShell", channel: "CmdletName: Get-Recipient, Get-User",
		wantCEL: `has(event.CmdletName) && event.CmdletName in ["Get-Recipient", "Get-User"]`},

	// Must stay underived.
	{name: "commands are not syscalls", logSource: "auditd:SYSCALL", channel: "chattr, rm, shred, dd run on recovery directories or partitions",
		wantReason: "command"},
	{name: "executed commands", logSource: "auditd:SYSCALL", channel: "useradd or adduser executed",
		wantReason: "command"},
	{name: "mount command", logSource: "auditd:SYSCALL", channel: "mount or losetup commands creating hidden or encrypted FS",
		wantReason: "command"},
	{name: "user commands", logSource: "auditd:SYSCALL", channel: "usermod, groupmod, passwd",
		wantReason: "invalid token"},
	{name: "record type, not syscall", logSource: "auditd:SYSCALL", channel: "EXECVE",
		wantReason: "invalid token"},
	{name: "one bad token spoils the list", logSource: "auditd:SYSCALL", channel: "chmod, write, create, open",
		wantReason: "invalid token"},
	{name: "syscall or another event", logSource: "auditd:SYSCALL", channel: "ptrace syscall or access to /proc/*/mem",
		wantReason: "ambiguous"},
	{name: "not a connector", logSource: "auditd:SYSCALL", channel: "ptrace attach",
		wantReason: "prose"},
	{name: "setuid bit is chmod, not setuid", logSource: "auditd:SYSCALL", channel: "setuid or setgid bit changes",
		wantReason: "prose"},
	{name: "access as a noun", logSource: "fs:fsusage", channel: "access to BPF devices or interface IOCTLs",
		wantReason: "prose"},
	{name: "sentence", logSource: "auditd:SYSCALL", channel: "Execution of binaries located in /etc/init.d/ or systemd service paths",
		wantReason: "prose"},
	{name: "overlong channel", logSource: "auditd:SYSCALL", channel: strings.Repeat("open, ", 1000) + "write",
		wantReason: "invalid channel"},
	{name: "mobile none", logSource: "Application Vetting", channel: "None",
		wantReason: "channel None"},
	{name: "enterprise none", logSource: "auditd:SYSCALL", channel: "None",
		wantReason: "channel None"},
	{name: "seed prose", logSource: "VPN:MobileProxy", channel: "TLS handshake, HTTP method/header pattern, or WebSocket upgrade was observed on destination port outside approved port set for detected protocol during app-attributed outbound session",
		wantReason: "no selector field"},
	{name: "token on a source without field", logSource: "linux:syslog", channel: "rename",
		wantReason: "no selector field"},
	{name: "free text command line", logSource: "WinEventLog:PowerShell", channel: "CommandLine=copy-item or robocopy from UNC path",
		wantReason: "free-text field"},
	{name: "free text message", logSource: "macos:unifiedlog", channel: "eventMessage = 'open', 'sendto', 'connect'",
		wantReason: "free-text field"},
	{name: "two fields", logSource: "AWS:CloudTrail", channel: "eventName=ConsoleLogin | eventType=AwsConsoleSignIn",
		wantReason: "multiple conditions"},
	{name: "boolean query", logSource: "m365:messagetrace", channel: "AuthenticationDetails=fail OR SPF=fail OR DKIM=fail OR DMARC=fail",
		wantReason: "multiple conditions"},
	{name: "kubernetes field list", logSource: "kubernetes:apiserver", channel: "verb=create, resource=cronjobs, group=batch",
		wantReason: "multiple conditions"},
	{name: "value list runs into prose", logSource: "esxi:hostd", channel: "method=RemoveUser or esxcli system account remove invocation",
		wantReason: "ambiguous"},
	{name: "value with slash", logSource: "linux:osquery", channel: "state=attached/debugged",
		wantReason: "unclean value"},
	{name: "path value", logSource: "auditd:SYSCALL", channel: "execve=/sbin/shutdown or /sbin/reboot",
		wantReason: "unclean value"},
	{name: "label or value", logSource: "m365:unified", channel: "PowerShell: Add-MailboxPermission",
		wantReason: "ambiguous"},
	{name: "service prefixed action", logSource: "AWS:CloudTrail", channel: "sts:GetFederationToken",
		wantReason: "invalid token"},
	{name: "acronym is not an event name", logSource: "AWS:CloudTrail", channel: "SSM RunCommand",
		wantReason: "prose"},
	{name: "gcp permissions are not method names", logSource: "gcp:audit", channel: "compute.instances.setMetadata",
		wantReason: "no selector field"},
	{name: "argument, not field", logSource: "macos:unifiedlog", channel: "Execution of dscl . create with IsHidden=1",
		wantReason: "no selector field"},
	{name: "sign-in categories", logSource: "azure:signinlogs", channel: "InteractiveUser, NonInteractiveUser",
		wantReason: "no selector field"},
}

func TestDerive(t *testing.T) {
	tax := DefaultTaxonomy()
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	for _, tc := range deriveCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Derive(tax, tc.logSource, tc.channel)
			if tc.wantCEL == "" {
				assert.Empty(t, got.CEL, "Derive(%q, %q) derived a selector", tc.logSource, tc.channel)
				assert.Equal(t, tc.wantReason, reasonCategory(got.Reason), "reason %q", got.Reason)
				return
			}
			require.Equal(t, tc.wantCEL, got.CEL, "Derive(%q, %q), reason %q", tc.logSource, tc.channel, got.Reason)
			assert.Empty(t, got.Reason)
			assert.NotEmpty(t, got.Field)
			assert.NotEmpty(t, got.Values)
			assert.NoError(t, compileSelector(t, env, got.CEL))
		})
	}
}

// TestSelectorMatchesEvents evaluates derived selectors over events decoded from JSON, as the
// runtime sees them (numbers are doubles).
func TestSelectorMatchesEvents(t *testing.T) {
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	tax := DefaultTaxonomy()
	tests := []struct {
		name      string
		logSource string
		channel   string
		event     map[string]any
		want      bool
	}{
		{"event code from JSON", "WinEventLog:Security", "EventCode=4663, 4670, 4656", map[string]any{"EventCode": 4670.0}, true},
		{"other event code", "WinEventLog:Security", "EventCode=4663, 4670, 4656", map[string]any{"EventCode": 4624.0}, false},
		{"syscall", "auditd:SYSCALL", "write, rename", map[string]any{"syscall": "rename"}, true},
		{"zeek path", "NSM:Flow", "conn.log", map[string]any{"_path": "conn"}, true},
		{"seed lock state", "MobileEDR:telemetry", "DeviceLockState=locked during outbound session", map[string]any{"DeviceLockState": "unlocked"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sel := Derive(tax, tc.logSource, tc.channel)
			require.NotEmpty(t, sel.CEL, sel.Reason)
			ast, iss := env.Compile(sel.CEL)
			require.NoError(t, iss.Err())
			prg, err := env.Program(ast)
			require.NoError(t, err)
			out, _, err := prg.Eval(map[string]any{"event": tc.event, "params": map[string]any{}})
			require.NoError(t, err)
			assert.Equal(t, tc.want, out.Value())
		})
	}
}

func TestSelectorCELQuoting(t *testing.T) {
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	tests := []struct {
		name   string
		field  string
		values []any
		want   string
	}{
		{"reserved word field", "in", []any{"x"}, `"in" in event && event["in"] == "x"`},
		{"dotted field", "file_events.path", []any{int64(1)}, `"file_events.path" in event && event["file_events.path"] == 1`},
		{"quotes and backslashes", "f", []any{`a"b\c`, "tab\there", "é\x00"}, `has(event.f) && event.f in ["a\"b\\c", "tab\there", "é\x00"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := selectorCEL(tc.field, tc.values)
			assert.Equal(t, tc.want, got)
			_, iss := env.Compile(got)
			assert.NoError(t, iss.Err())
		})
	}
}

func TestDeriveWithoutTaxonomy(t *testing.T) {
	assert.Equal(t, `has(event.DeviceLockState) && event.DeviceLockState == "locked"`, Derive(nil, "MobileEDR:telemetry", "DeviceLockState=locked during outbound session").CEL)
	got := Derive(nil, "auditd:SYSCALL", "execve")
	assert.Empty(t, got.CEL)
	assert.Equal(t, "no selector field", reasonCategory(got.Reason))
}

func FuzzDerive(f *testing.F) {
	for _, tc := range deriveCases {
		f.Add(tc.logSource, tc.channel)
	}
	f.Add("WinEventLog:Security", "EventCode=99999999999999999999")
	f.Add("auditd:SYSCALL", "a in ('x', \"y\")")
	f.Add("m365:unified", "x: \xff")
	tax := DefaultTaxonomy()
	env, err := celenv.ChannelEnv(nil)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, logSource, channel string) {
		got := Derive(tax, logSource, channel)
		if (got.CEL == "") == (got.Reason == "") {
			t.Fatalf("Derive(%q, %q) = CEL %q, reason %q: want exactly one", logSource, channel, got.CEL, got.Reason)
		}
		if got.CEL == "" {
			return
		}
		if len(got.Values) == 0 || got.Field == "" {
			t.Fatalf("Derive(%q, %q) = %q without field or values", logSource, channel, got.CEL)
		}
		ast, iss := env.Compile(got.CEL)
		if iss.Err() != nil {
			t.Fatalf("Derive(%q, %q) = %q does not compile: %v", logSource, channel, got.CEL, iss.Err())
		}
		if ast.OutputType() != cel.BoolType {
			t.Fatalf("Derive(%q, %q) = %q has type %v", logSource, channel, got.CEL, ast.OutputType())
		}
	})
}
