package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// streamStart is the time of the first event of every stream.
var streamStart = time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)

// EventInterval is the time between consecutive events of a stream.
const EventInterval = 5 * time.Millisecond

// matchPerMille is the share of events (per mille) made to pass one channel of the pack.
const matchPerMille = 8

// Hosts is the number of distinct hosts in a stream.
const Hosts = 400

// Events returns n normalized events, one JSON object per element without a newline
// (docs/events.md: time, log_source, EventCode, host and the source's fields), drawn from the
// pack's event mix. About 0.8% of events are made to pass one channel of the pack; benign
// values never contain a token a detection tests for.
func (p *Pack) Events(n int) [][]byte {
	rng := newRand(p.Seed + 1)
	out := make([][]byte, 0, n)
	for i := range n {
		fields := p.event(rng, i)
		out = append(out, encode(fields))
	}
	return out
}

// JSONL joins events into one newline-terminated JSONL document.
func JSONL(events [][]byte) []byte {
	var b bytes.Buffer
	for _, ev := range events {
		b.Write(ev)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func (p *Pack) event(rng *rand.Rand, i int) map[string]any {
	at := streamStart.Add(time.Duration(i) * EventInterval)
	host := fmt.Sprintf("ws-%04d", rng.IntN(Hosts))
	if rng.IntN(1000) >= matchPerMille || len(p.Rules) == 0 {
		return benignEvent(rng, pickWeighted(rng, p.mix), at, host)
	}
	r := pick(rng, p.Rules)
	ch := pick(rng, r.Channels)
	fields := benignEvent(rng, kindByCode(ch.LogSource, pick(rng, ch.Codes)), at, host)
	for _, t := range ch.Tests {
		fields[t.Field] = matchingValue(rng, t, ch.Lower, fieldClass(ch, t.Field))
	}
	return fields
}

func benignEvent(rng *rand.Rand, k eventKind, at time.Time, host string) map[string]any {
	fields := map[string]any{
		"time":       at.Format(time.RFC3339Nano),
		"log_source": k.logSource,
		"EventCode":  k.code,
		"host":       host,
	}
	for _, f := range k.fields {
		fields[f.name] = pick(rng, f.class.benign)
		if f.name == "CommandLine" && rng.IntN(25) == 0 {
			fields[f.name] = longCommandLine(rng)
		}
	}
	if k.logSource == Sysmon {
		fields["RuleName"] = "-"
		fields["UtcTime"] = at.Format("2006-01-02 15:04:05.000")
	} else {
		fields["Keywords"] = "Audit Success"
		fields["Channel"] = "Security"
	}
	for _, name := range k.extra {
		fields[name] = fillerValue(rng, name, at)
	}
	return fields
}

// matchingValue makes a value of cls that passes t; on a lower-cased channel it is
// sometimes upper-cased, as Windows paths come in any case.
func matchingValue(rng *rand.Rand, t Test, lower bool, cls *class) string {
	var v string
	token := pick(rng, t.Values)
	switch t.Op {
	case OpEndsWith:
		v = cls.head + token
	case OpStartsWith:
		v = token + cls.tail
	case OpContains:
		v = cls.head + token + cls.tail
	default:
		v = token
	}
	if lower && rng.IntN(3) == 0 {
		v = strings.ToUpper(v)
	}
	return v
}

// longCommandLine is a browser utility process with a long feature list (about 500 bytes).
func longCommandLine(rng *rand.Rand) string {
	var b strings.Builder
	b.WriteString(`"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type=gpu-process --gpu-preferences=`)
	for range 6 {
		fmt.Fprintf(&b, "%08X", rng.Uint32())
	}
	b.WriteString(" --enable-features=")
	for i := range 8 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%sFeature%d", pick(rng, []string{"Smooth", "Parallel", "Lazy", "Partitioned", "Shared"}), rng.IntN(1000))
	}
	fmt.Fprintf(&b, " --field-trial-handle=2120,i,%d,%d,262144 /prefetch:2", rng.Uint64()>>1, rng.Uint64()>>1)
	return b.String()
}

func fieldClass(ch Channel, name string) *class {
	for _, f := range kindByCode(ch.LogSource, ch.Codes[0]).fields {
		if f.name == name {
			return f.class
		}
	}
	return &class{}
}

// fillerValue makes the value of a field no detection tests, so that lines have the size
// and shape of real ones.
func fillerValue(rng *rand.Rand, name string, at time.Time) any {
	switch name {
	case "ProcessGuid", "SourceProcessGUID", "TargetProcessGUID", "ScriptBlockId":
		return fmt.Sprintf("{%08x-%04x-65f0-%04x-%012x}", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<16), rng.Uint64()&(1<<48-1))
	case "ProcessId", "SourceProcessId", "TargetProcessId", "ClientProcessId":
		return int64(4 + 4*rng.IntN(5000))
	case "SourcePort", "DestinationPort":
		return int64(pick(rng, []int{443, 80, 53, 49152 + rng.IntN(16000)}))
	case "LogonType":
		return int64(pick(rng, []int{2, 3, 5, 10}))
	case "MessageNumber", "MessageTotal":
		return int64(1)
	case "User", "SourceUser":
		return `CORP\` + pick(rng, userClass.benign)
	case "SubjectUserName":
		return pick(rng, userClass.benign)
	case "CurrentDirectory":
		return `C:\Windows\system32\`
	case "Hashes":
		return fmt.Sprintf("SHA1=%016X%016X%08X,MD5=%016X%016X,SHA256=%016X%016X%016X%016X,IMPHASH=%016X%016X",
			rng.Uint64(), rng.Uint64(), rng.Uint32(), rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64(),
			rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64())
	case "SourceIp", "IpAddress":
		return fmt.Sprintf("10.%d.%d.%d", rng.IntN(8), rng.IntN(256), 1+rng.IntN(254))
	case "DestinationIp":
		return fmt.Sprintf("%d.%d.%d.%d", 13+rng.IntN(200), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
	case "CreationUtcTime":
		return at.Add(-time.Duration(rng.IntN(3600)) * time.Second).Format("2006-01-02 15:04:05.000")
	case "QueryResults":
		return fmt.Sprintf("type:  5 edge.example-cdn.net;::ffff:%d.%d.%d.%d;", 13+rng.IntN(200), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
	case "Details":
		return pick(rng, []string{"DWORD (0x00000001)", "DWORD (0x00000000)", "Binary Data", `"C:\Program Files\Vendor\agent.exe" /tray`})
	}
	return fillerConstant(name)
}

var fillerConstants = map[string]string{
	"IntegrityLevel": "Medium", "LogonId": "0x3e7", "Company": "Microsoft Corporation",
	"Product": "Microsoft Windows Operating System", "Protocol": "tcp", "Signed": "true",
	"Signature": "Microsoft Windows", "SignatureStatus": "Valid", "EventType": "SetValue",
	"QueryStatus": "0", "SubjectUserSid": "S-1-5-18", "SubjectDomainName": "CORP",
	"TargetDomainName": "CORP", "WorkstationName": "WS-FIN-07", "LogonProcessName": "NtLmSsp",
	"AuthenticationPackageName": "NTLM", "Status": "0xc000006d", "SubStatus": "0xc000006a",
	"NewProcessId": "0x1a2c", "TokenElevationType": "%%1936", "MandatoryLabel": "S-1-16-8192",
	"ServiceType": "user mode service", "ServiceStartType": "demand start", "ServiceAccount": "LocalSystem",
}

func fillerConstant(name string) string {
	if v, ok := fillerConstants[name]; ok {
		return v
	}
	return "-"
}

// encode writes fields as one JSON object, keys sorted (encoding/json sorts map keys).
func encode(fields map[string]any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fields); err != nil {
		panic(fmt.Sprintf("synth: encode event: %v", err)) // only strings and ints
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
