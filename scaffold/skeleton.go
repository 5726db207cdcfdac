package scaffold

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/plan"
)

// Skeleton is the binding file stixcel new writes for an analytic, for a person to fill in:
// the analytic's description and channels as comments, its written_for, its parameters
// typed with their inferred defaults, suggested group_by and window, every channel bound to
// `false` (nothing alerts until the logic is written) and two test cases marked todo, one
// that must alert and one that must stay silent, with events shaped for each log source. p
// is the analytic compiled without a binding: its selectors and inferred parameters.
func Skeleton(a *attack.Analytic, p *plan.Plan) string {
	var b strings.Builder
	writeHeader(&b, a, p)
	b.WriteString("analytic: " + scalar(a.ID) + "\n")
	b.WriteString(WrittenFor(a))
	group := groupField(a)
	fmt.Fprintf(&b, "group_by: [%s]            # suggested: the entity the channels share\n", group)
	fmt.Fprintf(&b, "window: %s\n", windowOf(p))
	writeParams(&b, p)
	writeChannels(&b, p)
	writeCondition(&b, p)
	writeTests(&b, a, p, group)
	return b.String()
}

func writeHeader(b *strings.Builder, a *attack.Analytic, p *plan.Plan) {
	var techniques []string
	for _, t := range p.Techniques {
		techniques = append(techniques, strings.TrimSpace(t.ID+" "+t.Name))
	}
	writeComment(b, "", fmt.Sprintf("%s (%s; %s; %s)", a.ID, strategyText(a), strings.Join(techniques, ", "), strings.Join(a.Platforms, ", ")))
	b.WriteString("#\n")
	for _, line := range wrap(a.Description, 94) {
		writeComment(b, "", line)
	}
	b.WriteString("#\n# Channels: cN is the analytic's N-th log source reference. A channel's CEL refines its\n")
	b.WriteString("# derived selector, which still applies; it sees `event` and `params`.\n")
	for _, c := range p.Channels {
		writeComment(b, "", fmt.Sprintf("  %-3s %s (%s) `%s`", c.ID, c.LogSource, dataComponentText(c.DataComponent), c.Channel))
		selector := c.Selector
		if selector == "" {
			selector = "none: " + c.Reason
		}
		writeComment(b, "", "      derived selector: "+selector)
	}
	b.WriteString("#\n# TODO: say here what part of the analytic this binding does not implement.\n")
}

func strategyText(a *attack.Analytic) string {
	if a.Strategy == nil {
		return "no detection strategy loaded"
	}
	return strings.TrimSpace(a.Strategy.ID + " " + a.Strategy.Name)
}

func dataComponentText(dc plan.DataComponent) string {
	if dc.ID == "" {
		return dc.StixID
	}
	return strings.TrimSpace(dc.ID + " " + dc.Name)
}

// groupField suggests the entity to correlate on: the device on mobile platforms, the
// user on cloud and identity platforms, else the host.
func groupField(a *attack.Analytic) string {
	for _, pl := range a.Platforms {
		switch strings.ToLower(pl) {
		case "android", "ios":
			return "device_id"
		case "iaas", "saas", "office suite", "identity provider", "azure ad", "google workspace", "office 365":
			return "user"
		}
	}
	return "host"
}

// windowOf is the first duration parameter, else a literal.
func windowOf(p *plan.Plan) string {
	for _, prm := range p.Params {
		if prm.Type.String() == "duration" {
			return scalar(prm.Name) + "               # a duration parameter, or a literal such as 10m"
		}
	}
	return "5m                       # TODO: how far apart the channels' events may be"
}

func writeParams(b *strings.Builder, p *plan.Plan) {
	if len(p.Params) == 0 {
		b.WriteString("params: {}                 # the analytic has no mutable elements\n")
		return
	}
	b.WriteString("params:                    # the analytic's mutable elements, typed and defaulted by inference: check both\n")
	for _, prm := range p.Params {
		for _, line := range wrap(prm.Description, 92) {
			writeComment(b, "  ", line)
		}
		value, note := prm.Value, ""
		if value == nil && prm.Type.String() == "duration" {
			value, note = "10m", "   # TODO: no default could be inferred"
		}
		fmt.Fprintf(b, "  %s: {type: %s, default: %s}%s\n", scalar(prm.Name), quote(prm.Type.String()), jsonText(value), note)
	}
}

func writeChannels(b *strings.Builder, p *plan.Plan) {
	b.WriteString("channels:\n")
	for _, c := range p.Channels {
		writeComment(b, "  ", fmt.Sprintf("%s `%s`: TODO: what in these events makes the analytic fire", c.LogSource, c.Channel))
		fmt.Fprintf(b, "  %s: \"false\"\n", c.ID)
	}
}

func writeCondition(b *strings.Builder, p *plan.Plan) {
	ids := make([]string, len(p.Channels))
	for i, c := range p.Channels {
		ids[i] = c.ID
	}
	b.WriteString("# TODO: how the channels combine within the window of one group, e.g. c1 && (c2 || c3)\n")
	fmt.Fprintf(b, "condition: %s\n", strings.Join(ids, " || "))
}

func writeTests(b *strings.Builder, a *attack.Analytic, p *plan.Plan, group string) {
	b.WriteString("tests:\n")
	cases := []struct{ name, todo, entity, expect string }{
		{"TODO alerts", "events that must alert: fill in the fields the channels test, then remove todo", "entity-1",
			fmt.Sprintf("[{analytic: %s, group: {%s: entity-1}}]", scalar(a.ID), group)},
		{"TODO stays silent", "benign look-alike events that must not alert, then remove todo", "entity-2", "[]"},
	}
	for _, tc := range cases {
		fmt.Fprintf(b, "  - name: %s\n    todo: %s\n    events:\n", tc.name, quote(tc.todo))
		for i, c := range p.Channels {
			fmt.Fprintf(b, "      - %s\n", jsonText(stubEvent(c, group, tc.entity, i)))
		}
		fmt.Fprintf(b, "    expect: %s\n", tc.expect)
	}
}

// stubEvent is a normalized event for channel c: the value its derived selector routes on
// (EventCode 10, syscall execve, ...), and the fields its log source's events usually carry
// set to "TODO" (fieldsFor).
func stubEvent(c *plan.Channel, group, entity string, i int) map[string]any {
	at := time.Date(2026, 1, 1, 9, 0, i, 0, time.UTC)
	ev := map[string]any{"time": at.Format(time.RFC3339), "log_source": c.LogSource, group: entity}
	code := -1
	if c.Route != nil && len(c.Route.Values) > 0 {
		ev[c.Route.Field] = c.Route.Values[0]
		if n, ok := asInt(c.Route.Values[0]); ok {
			code = n
		}
	}
	for _, f := range fieldsFor(c.LogSource, code) {
		ev[f] = "TODO"
	}
	return ev
}

func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int64:
		return int(n), true
	case float64:
		return int(n), n == float64(int(n))
	case json.Number:
		i, err := strconv.Atoi(string(n))
		return i, err == nil
	}
	return 0, false
}

// windowsFields are the fields real Windows events of a log source and event code carry that
// bindings most often test (names as Sysmon and the Security and PowerShell channels write
// them, which the windows source profile keeps).
var windowsFields = map[string]map[int][]string{
	"WinEventLog:Sysmon": {
		1: {"Image", "CommandLine", "ParentImage", "User"}, 3: {"Image", "DestinationIp", "DestinationPort"},
		7: {"Image", "ImageLoaded"}, 8: {"SourceImage", "TargetImage"}, 10: {"SourceImage", "TargetImage", "GrantedAccess"},
		11: {"Image", "TargetFilename"}, 12: {"Image", "TargetObject"}, 13: {"Image", "TargetObject", "Details"},
		22: {"Image", "QueryName"},
	},
	"WinEventLog:Security": {
		4624: {"TargetUserName", "LogonType", "IpAddress"}, 4663: {"ObjectName", "AccessMask", "ProcessName"},
		4688: {"NewProcessName", "CommandLine", "ParentProcessName"}, 4698: {"TaskName", "TaskContent"},
		4720: {"TargetUserName", "SubjectUserName"}, 5140: {"ShareName", "IpAddress"}, 5145: {"ShareName", "RelativeTargetName"},
	},
	"WinEventLog:PowerShell": {4103: {"Payload", "ContextInfo"}, 4104: {"ScriptBlockText"}},
	"WinEventLog:System":     {7045: {"ServiceName", "ImagePath", "ServiceType"}},
}

func fieldsFor(logSource string, code int) []string {
	for name, codes := range windowsFields {
		if strings.EqualFold(name, logSource) {
			return slices.Clone(codes[code])
		}
	}
	return nil
}

// jsonText is v as JSON, which YAML reads as a flow collection or a double-quoted scalar;
// the characters YAML does not allow unescaped, which JSON leaves as they are (DEL, C1
// controls, U+FEFF, U+FFFE, U+FFFF), are escaped (they can only be inside strings).
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return escapeUnprintable(string(b))
}

// wrap breaks text into lines of at most width bytes at spaces, keeping its paragraphs.
func wrap(text string, width int) []string {
	var out []string
	for _, para := range strings.Split(strings.TrimSpace(text), "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			if line != "" && len(line)+1+len(word) > width {
				out = append(out, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}
