package synth

import (
	"fmt"
	"slices"
)

// This file holds the vocabulary: which fields each event kind has, which values benign
// events carry, and which tokens detections look for. The tables are read-only.

// class is a family of field values: the tokens detections test for, by operator, and the
// values benign events carry (none of which contains a token, in any case).
type class struct {
	ends, starts, contains, in []string
	benign                     []string
	// head and tail surround a token to make a matching value: head+token (endsWith),
	// token+tail (startsWith), head+token+tail (contains).
	head, tail string
}

// ops lists the operators the class has tokens for.
func (c *class) ops() []Op {
	var ops []Op
	for _, op := range []Op{OpEndsWith, OpContains, OpStartsWith, OpIn} {
		if len(c.tokens(op)) > 0 {
			ops = append(ops, op)
		}
	}
	return ops
}

func (c *class) tokens(op Op) []string {
	switch op {
	case OpEndsWith:
		return c.ends
	case OpStartsWith:
		return c.starts
	case OpContains:
		return c.contains
	case OpIn:
		return c.in
	}
	return nil
}

// field is an event field that detections test.
type field struct {
	name  string
	class *class
}

// eventKind is one (log source, EventCode) event shape.
type eventKind struct {
	logSource string
	code      int64
	fields    []field // the string fields detections test
	// extra names the other fields the kind carries (filled by fillerValue).
	extra []string
}

// channelKind is what a channel selects: a log source and an EventCode set.
type channelKind struct {
	logSource string
	codes     []int64
}

var (
	accessMasks = []string{"0x1fffff", "0x1f0fff", "0x1f1fff", "0x1f3fff", "0x1010", "0x1410", "0x1438", "0x143a"}

	imageClass = &class{
		ends: []string{`\powershell.exe`, `\pwsh.exe`, `\rundll32.exe`, `\regsvr32.exe`, `\mshta.exe`,
			`\certutil.exe`, `\wmic.exe`, `\cmd.exe`, `\procdump.exe`, `\procdump64.exe`, `\bitsadmin.exe`,
			`\schtasks.exe`, `\PsExec.exe`, `\PSEXESVC.exe`, `\cscript.exe`, `\wscript.exe`, `\MSBuild.exe`,
			`\InstallUtil.exe`, `\reg.exe`, `\vssadmin.exe`, `\wevtutil.exe`, `\lsass.exe`, `\WINWORD.EXE`,
			`\EXCEL.EXE`, `\mimikatz.exe`, `\nltest.exe`, `\whoami.exe`, `\net1.exe`, `\sc.exe`, `\AnyDesk.exe`},
		contains: []string{`\Temp\`, `\AppData\Local\Temp\`, `\Users\Public\`, `\ProgramData\`, `\Downloads\`,
			`\PerfLogs\`, `\$Recycle.Bin\`, `\Windows\Tasks\`},
		starts: []string{`C:\Users\Public\`, `C:\Windows\Temp\`, `C:\ProgramData\`, `C:\PerfLogs\`, `\\`},
		in: []string{`C:\Windows\System32\rundll32.exe`, `C:\Windows\SysWOW64\rundll32.exe`,
			`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `C:\Windows\System32\cmd.exe`,
			`C:\Windows\System32\mshta.exe`, `C:\Windows\System32\regsvr32.exe`, `C:\Windows\System32\certutil.exe`,
			`C:\Windows\System32\wbem\WMIC.exe`, `C:\Windows\System32\lsass.exe`},
		benign: []string{`C:\Windows\System32\svchost.exe`, `C:\Windows\explorer.exe`,
			`C:\Program Files\Google\Chrome\Application\chrome.exe`,
			`C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`,
			`C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE`, `C:\Windows\System32\SearchIndexer.exe`,
			`C:\Windows\System32\taskhostw.exe`, `C:\Windows\System32\RuntimeBroker.exe`,
			`C:\Windows\System32\backgroundTaskHost.exe`, `C:\Program Files\Microsoft OneDrive\OneDrive.exe`,
			`C:\Windows\System32\dllhost.exe`, `C:\Windows\System32\conhost.exe`, `C:\Windows\System32\MsMpEng.exe`,
			`C:\Windows\System32\spoolsv.exe`, `C:\Program Files\Mozilla Firefox\firefox.exe`,
			`C:\Windows\System32\smartscreen.exe`, `C:\Windows\System32\sihost.exe`, `C:\Windows\System32\ctfmon.exe`},
		head: `C:\Windows\System32`, tail: `updater.exe`,
	}

	dllClass = &class{
		ends: []string{`\comsvcs.dll`, `\dbghelp.dll`, `\dbgcore.dll`, `\vaultcli.dll`, `\samlib.dll`, `\amsi.dll`,
			`\System.Management.Automation.ni.dll`, `\clr.dll`, `\wmiutils.dll`, `\taskschd.dll`},
		contains: []string{`\Temp\`, `\Users\Public\`, `\AppData\Local\Temp\`, `\ProgramData\`},
		benign: []string{`C:\Windows\System32\kernel32.dll`, `C:\Windows\System32\ntdll.dll`,
			`C:\Windows\System32\user32.dll`, `C:\Windows\System32\combase.dll`, `C:\Windows\System32\gdi32full.dll`,
			`C:\Program Files\Google\Chrome\Application\124.0.6367.91\chrome_elf.dll`,
			`C:\Windows\System32\msvcp_win.dll`, `C:\Windows\System32\ucrtbase.dll`, `C:\Windows\System32\sechost.dll`},
		head: `C:\Windows\System32`, tail: `helper.dll`,
	}

	cmdClass = &class{
		contains: []string{`-enc `, `-EncodedCommand`, `-nop`, `-w hidden`, `IEX(`, `DownloadString(`, `comsvcs.dll`,
			`MiniDump`, `sekurlsa::`, `-ma lsass`, `/c whoami`, `delete shadows`, `-urlcache`, `javascript:`,
			`-ExecutionPolicy Bypass`, `Invoke-Mimikatz`, `FromBase64String`, `Net.WebClient`, `/create /sc`,
			`shadowcopy delete`, `save HKLM\SAM`, `-accepteula`, `lsass.dmp`, `http://`, `/transfer`,
			`Add-MpPreference -ExclusionPath`, `net user /add`, `cl Security`, `scrobj.dll`, `/i:http`},
		ends:   []string{`.ps1`, `.hta`, `.vbs`, `,#24`, ` full`, `.dmp`},
		starts: []string{`cmd.exe /c `, `powershell -`, `rundll32.exe `, `"C:\Users\Public\`},
		benign: []string{
			`C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`,
			`"C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --lang=en-US --num-raster-threads=4 --renderer-client-id=12 --mojo-platform-channel-handle=4352 --field-trial-handle=1880,i,9371834429384512,17381927362891720,262144 /prefetch:1`,
			`C:\Windows\Explorer.EXE`,
			`"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE" /recycle`,
			`C:\Windows\system32\SearchIndexer.exe /Embedding`,
			`taskhostw.exe Install $(Arg0)`,
			`C:\Windows\system32\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}`,
			`"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --mojo-platform-channel-handle=2304 --field-trial-handle=2120,i,4482719203847561,8837362819203847,262144 /prefetch:3`,
			`C:\Windows\system32\conhost.exe 0xffffffff -ForceV1`,
			`"C:\Program Files\Microsoft OneDrive\OneDrive.exe" /background`,
			`C:\Windows\System32\RuntimeBroker.exe -Embedding`,
		},
		head: `"C:\Program Files\Vendor\agent.exe" --run`, tail: ` --log C:\Logs\agent.log`,
	}

	fileClass = &class{
		ends: []string{`.dmp`, `.ps1`, `.hta`, `.vbs`, `.bat`, `.lnk`, `.scr`, `.js`, `.iso`, `.kirbi`},
		contains: []string{`\Temp\`, `\Start Menu\Programs\Startup\`, `\Windows\Tasks\`, `\Users\Public\`,
			`\System32\Tasks\`, `\AppData\Roaming\Microsoft\Windows\Recent\`},
		starts: []string{`C:\Users\Public\`, `C:\PerfLogs\`, `C:\Windows\Temp\`, `C:\ProgramData\`},
		benign: []string{`C:\Users\jsmith\Documents\Q3 forecast.xlsx`,
			`C:\Windows\SoftwareDistribution\Download\8a1b2c3d4e5f\update.cab`,
			`C:\Windows\Prefetch\CHROME.EXE-1A2B3C4D.pf`,
			`C:\Users\akumar\AppData\Local\Microsoft\Edge\User Data\Default\Cache\Cache_Data\f_0001a3`,
			`C:\Users\jsmith\AppData\Local\Google\Chrome\User Data\Default\History-journal`,
			`C:\Windows\System32\LogFiles\WMI\RtBackup\EtwRTDiagLog.etl`,
			`C:\Users\mlopez\OneDrive - Corp\Pictures\IMG_2041.jpg`},
		head: `C:\Users\jsmith\Documents\q3`, tail: `report.txt`,
	}

	registryClass = &class{
		contains: []string{`\CurrentVersion\Run\`, `\CurrentVersion\RunOnce\`, `\Image File Execution Options\`,
			`\Winlogon\Shell`, `\Control\Lsa\`, `\Environment\UserInitMprLogonScript`, `\Policies\System\EnableLUA`,
			`\Services\PSEXESVC`, `\SecurityProviders\WDigest\UseLogonCredential`, `\Windows Defender\Exclusions\`,
			`\Terminal Server\fDenyTSConnections`, `\AppInit_DLLs`},
		starts: []string{`HKLM\SYSTEM\CurrentControlSet\Services\`, `HKLM\SYSTEM\CurrentControlSet\Control\Lsa\`,
			`HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Image File Execution Options\`},
		benign: []string{
			`HKU\S-1-5-21-1004336348-1177238915-682003330-1104\Software\Microsoft\Windows\CurrentVersion\Explorer\UserAssist\{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\Count\HRZR_PGYFRFFVBA`,
			`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WINEVT\Channels\Microsoft-Windows-Kernel-Power/Thermal-Operational\Enabled`,
			`HKLM\SOFTWARE\Policies\Google\Chrome\ExtensionInstallForcelist\1`,
			`HKU\S-1-5-21-1004336348-1177238915-682003330-1104\Software\Microsoft\Office\16.0\Common\Roaming\Identities\LastUpdate`,
			`HKLM\SOFTWARE\Microsoft\SQMClient\Windows\DisabledSessions\MachineThrottling`},
		head: `HKLM\SOFTWARE\Vendor\Agent`, tail: `Value`,
	}

	accessClass = &class{
		in:     accessMasks,
		benign: []string{"0x1000", "0x1400", "0x2000", "0x100000", "0x101000", "0x40", "0x3000"},
	}

	callTraceClass = &class{
		contains: []string{`dbghelp.dll`, `dbgcore.dll`, `UNKNOWN(`, `comsvcs.dll`, `System.Management.Automation`},
		benign: []string{
			`C:\Windows\SYSTEM32\ntdll.dll+9d204|C:\Windows\System32\KERNELBASE.dll+2c13e|c:\windows\system32\lsm.dll+10e93|C:\Windows\System32\RPCRT4.dll+76d23`,
			`C:\Windows\SYSTEM32\ntdll.dll+9d204|C:\Windows\System32\KERNELBASE.dll+32ea6|C:\Windows\system32\wbem\wmiprvse.exe+1f38`},
		head: `C:\Windows\SYSTEM32\ntdll.dll+9d204|C:\Windows\System32\`, tail: `+1a2b|C:\Windows\System32\KERNEL32.DLL+17034`,
	}

	domainClass = &class{
		ends: []string{`.onion`, `.duckdns.org`, `.ngrok.io`, `.ngrok-free.app`, `.top`, `.xyz`, `pastebin.com`,
			`transfer.sh`, `raw.githubusercontent.com`, `.trycloudflare.com`},
		in: []string{`pastebin.com`, `transfer.sh`, `api.telegram.org`, `anonfiles.com`, `mega.nz`, `ipinfo.io`,
			`api.ipify.org`},
		benign: []string{`www.bing.com`, `login.microsoftonline.com`, `outlook.office365.com`,
			`update.googleapis.com`, `settings-win.data.microsoft.com`, `ocsp.digicert.com`, `teams.microsoft.com`,
			`ctldl.windowsupdate.com`},
		head: `cdn-47`, tail: `.example.net`,
	}

	userClass = &class{
		in:     []string{`Administrator`, `admin`, `Guest`, `svc_backup`, `DefaultAccount`, `krbtgt`, `root`},
		benign: []string{`jsmith`, `akumar`, `mlopez`, `SYSTEM`, `LOCAL SERVICE`, `WS-FIN-07$`, `svc_sql`},
	}

	serviceClass = &class{
		in:       []string{`PSEXESVC`, `RemComSvc`, `WinExeSvc`, `mimidrv`, `AnyDesk`, `BTOBTO`},
		contains: []string{`PSEXE`, `mimi`, `RemCom`, `Meterpreter`},
		benign:   []string{`edgeupdate`, `Google Update Service (gupdate)`, `MozillaMaintenance`, `WinDefend`, `Sense`},
		head:     `svc`, tail: `01`,
	}

	taskClass = &class{
		contains: []string{`\Microsoft\Windows\SystemHealthCheck`, `\WindowsUpdateCheck`, `\Updater`, `\SysMon32`,
			`\Chrome Helper`},
		benign: []string{`\Microsoft\Windows\UpdateOrchestrator\Schedule Scan`, `\GoogleUpdateTaskMachineUA`,
			`\OneDrive Standalone Update Task-S-1-5-21-1004336348-1104`, `\Microsoft\Office\Office Automatic Updates 2.0`},
		head: `\Corp`, tail: ` Daily`,
	}
)

// eventKinds lists every event shape, with its tested string fields.
var eventKinds = []eventKind{
	{Sysmon, 1, []field{{"Image", imageClass}, {"CommandLine", cmdClass}, {"ParentImage", imageClass},
		{"ParentCommandLine", cmdClass}}, []string{"ProcessGuid", "ProcessId", "User", "CurrentDirectory", "Hashes", "IntegrityLevel", "LogonId", "Company", "Product"}},
	{Sysmon, 3, []field{{"Image", imageClass}, {"DestinationHostname", domainClass}},
		[]string{"ProcessGuid", "ProcessId", "User", "Protocol", "SourceIp", "SourcePort", "DestinationIp", "DestinationPort"}},
	{Sysmon, 7, []field{{"Image", imageClass}, {"ImageLoaded", dllClass}},
		[]string{"ProcessGuid", "ProcessId", "Hashes", "Signed", "Signature", "SignatureStatus", "Company", "Product"}},
	{Sysmon, 10, []field{{"SourceImage", imageClass}, {"TargetImage", imageClass}, {"GrantedAccess", accessClass},
		{"CallTrace", callTraceClass}}, []string{"SourceProcessGUID", "SourceProcessId", "TargetProcessGUID", "TargetProcessId", "SourceUser"}},
	{Sysmon, 11, []field{{"Image", imageClass}, {"TargetFilename", fileClass}},
		[]string{"ProcessGuid", "ProcessId", "User", "CreationUtcTime"}},
	{Sysmon, 12, []field{{"Image", imageClass}, {"TargetObject", registryClass}},
		[]string{"ProcessGuid", "ProcessId", "User", "EventType"}},
	{Sysmon, 13, []field{{"Image", imageClass}, {"TargetObject", registryClass}},
		[]string{"ProcessGuid", "ProcessId", "User", "EventType", "Details"}},
	{Sysmon, 22, []field{{"Image", imageClass}, {"QueryName", domainClass}},
		[]string{"ProcessGuid", "ProcessId", "User", "QueryStatus", "QueryResults"}},
	{Security, 4624, []field{{"TargetUserName", userClass}, {"ProcessName", imageClass}},
		[]string{"SubjectUserSid", "SubjectUserName", "TargetDomainName", "LogonType", "IpAddress", "WorkstationName", "LogonProcessName", "AuthenticationPackageName"}},
	{Security, 4625, []field{{"TargetUserName", userClass}, {"ProcessName", imageClass}},
		[]string{"SubjectUserSid", "SubjectUserName", "TargetDomainName", "LogonType", "IpAddress", "WorkstationName", "Status", "SubStatus"}},
	{Security, 4688, []field{{"NewProcessName", imageClass}, {"CommandLine", cmdClass}, {"ParentProcessName", imageClass}},
		[]string{"SubjectUserSid", "SubjectUserName", "SubjectDomainName", "NewProcessId", "TokenElevationType", "MandatoryLabel"}},
	{Security, 4697, []field{{"ServiceName", serviceClass}, {"ServiceFileName", cmdClass}},
		[]string{"SubjectUserSid", "SubjectUserName", "SubjectDomainName", "ServiceType", "ServiceStartType", "ServiceAccount"}},
	{Security, 4698, []field{{"TaskName", taskClass}, {"TaskContent", cmdClass}},
		[]string{"SubjectUserSid", "SubjectUserName", "SubjectDomainName", "ClientProcessId"}},
	{Security, 4104, []field{{"ScriptBlockText", cmdClass}, {"Path", fileClass}},
		[]string{"MessageNumber", "MessageTotal", "ScriptBlockId"}},
}

// streamMix is the share of each event kind in the stream: image loads, network and DNS
// dominate Sysmon volume; logons and process creation dominate Security.
var streamMix = []weighted[eventKind]{
	{kindByCode(Sysmon, 1), 80}, {kindByCode(Sysmon, 3), 150}, {kindByCode(Sysmon, 7), 200},
	{kindByCode(Sysmon, 10), 100}, {kindByCode(Sysmon, 11), 100}, {kindByCode(Sysmon, 12), 80},
	{kindByCode(Sysmon, 13), 100}, {kindByCode(Sysmon, 22), 90},
	{kindByCode(Security, 4624), 40}, {kindByCode(Security, 4625), 10}, {kindByCode(Security, 4688), 40},
	{kindByCode(Security, 4697), 2}, {kindByCode(Security, 4698), 2}, {kindByCode(Security, 4104), 6},
}

// channelKinds is the share of each selector among channels, after the Sysmon and Security
// references of the enterprise analytics (ATT&CK v18.1): process creation leads, then file
// creation, network and DNS, 4688, image loads, process access, registry, script blocks.
var channelKinds = []weighted[channelKind]{
	{channelKind{Sysmon, []int64{1}}, 220}, {channelKind{Sysmon, []int64{11}}, 130},
	{channelKind{Sysmon, []int64{3, 22}}, 110}, {channelKind{Sysmon, []int64{3}}, 10},
	{channelKind{Sysmon, []int64{22}}, 10}, {channelKind{Sysmon, []int64{7}}, 80},
	{channelKind{Sysmon, []int64{10}}, 60}, {channelKind{Sysmon, []int64{12, 13}}, 45},
	{channelKind{Sysmon, []int64{13}}, 20}, {channelKind{Security, []int64{4688}}, 90},
	{channelKind{Security, []int64{4624, 4625}}, 30}, {channelKind{Security, []int64{4624}}, 10},
	{channelKind{Security, []int64{4697}}, 10}, {channelKind{Security, []int64{4698}}, 10},
	{channelKind{Security, []int64{4104}}, 55},
}

// channelCounts is how many channels a rule has: the Windows references per analytic.
var channelCounts = []weighted[int]{{1, 60}, {2, 30}, {3, 10}}

var testCounts = []weighted[int]{{1, 35}, {2, 45}, {3, 20}}

var techniques = []string{"T1059.001", "T1003.001", "T1218.011", "T1105", "T1547.001", "T1053.005",
	"T1543.003", "T1112", "T1070.001", "T1490", "T1021.002", "T1071.001", "T1027", "T1110.001"}

func kindByCode(logSource string, code int64) eventKind {
	for _, k := range eventKinds {
		if k.logSource == logSource && k.code == code {
			return k
		}
	}
	panic(fmt.Sprintf("synth: no event kind %s %d", logSource, code)) // a mistake in the tables above
}

// testableFields returns the tested fields that every code of the channel kind has; on a
// case-sensitive channel, only those with a test other than list membership.
func testableFields(ck channelKind, lower bool) []field {
	var out []field
	for _, f := range kindByCode(ck.logSource, ck.codes[0]).fields {
		if !lower && slices.Equal(f.class.ops(), []Op{OpIn}) {
			continue
		}
		shared := true
		for _, code := range ck.codes[1:] {
			shared = shared && slices.ContainsFunc(kindByCode(ck.logSource, code).fields,
				func(g field) bool { return g.name == f.name })
		}
		if shared {
			out = append(out, f)
		}
	}
	return out
}
