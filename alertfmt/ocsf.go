package alertfmt

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// OCSF writes one OCSF 1.8.0 Detection Finding per alert, one JSON object per line: the form
// SIEMs and data lakes that take OCSF ingest (Amazon Security Lake, rsigma's sinks).
const OCSF Format = "ocsf"

// The fixed values of a Detection Finding that reports a new alert.
const (
	ocsfVersion      = "1.8.0"
	ocsfClassUID     = 2004 // Detection Finding
	ocsfCategoryUID  = 2    // Findings
	ocsfActivityID   = 1    // Create
	ocsfTypeUID      = ocsfClassUID*100 + ocsfActivityID
	ocsfStatusNew    = 1
	ocsfAnalyticRule = 1 // analytic.type_id Rule
)

// ocsfSeverity maps a level to OCSF's severity_id: 1 Informational, 2 Low, 3 Medium, 4 High,
// 5 Critical. An alert without a level (an analytic a binding gave none) is Medium: a bound
// detection, worth a look, whose severity its author did not say.
func ocsfSeverity(level string) (int, string) {
	switch level {
	case "informational":
		return 1, "Informational"
	case "low":
		return 2, "Low"
	case "high":
		return 4, "High"
	case "critical":
		return 5, "Critical"
	}
	return 3, "Medium"
}

// ocsfFinding is the Detection Finding of one alert, in the schema's field order.
type ocsfFinding struct {
	ClassUID     int          `json:"class_uid"`
	ClassName    string       `json:"class_name"`
	CategoryUID  int          `json:"category_uid"`
	CategoryName string       `json:"category_name"`
	ActivityID   int          `json:"activity_id"`
	ActivityName string       `json:"activity_name"`
	TypeUID      int          `json:"type_uid"`
	TypeName     string       `json:"type_name"`
	SeverityID   int          `json:"severity_id"`
	Severity     string       `json:"severity"`
	StatusID     int          `json:"status_id"`
	Status       string       `json:"status"`
	Time         int64        `json:"time"`
	StartTime    int64        `json:"start_time"`
	EndTime      int64        `json:"end_time"`
	IsAlert      bool         `json:"is_alert"`
	Message      string       `json:"message"`
	Metadata     ocsfMetadata `json:"metadata"`
	FindingInfo  ocsfInfo     `json:"finding_info"`
	Device       *ocsfDevice  `json:"device,omitempty"`
	Evidences    []ocsfEvid   `json:"evidences,omitempty"`
	Unmapped     ocsfUnmapped `json:"unmapped"`
}

type ocsfMetadata struct {
	Version string      `json:"version"`
	Product ocsfProduct `json:"product"`
	UID     string      `json:"uid"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
}

type ocsfInfo struct {
	UID                string         `json:"uid"`
	Title              string         `json:"title"`
	Desc               string         `json:"desc,omitempty"`
	Analytic           ocsfAnalytic   `json:"analytic"`
	RelatedAnalytics   []ocsfAnalytic `json:"related_analytics,omitempty"`
	Attacks            []ocsfAttack   `json:"attacks,omitempty"`
	FirstSeenTime      int64          `json:"first_seen_time"`
	LastSeenTime       int64          `json:"last_seen_time"`
	RelatedEventsCount int64          `json:"related_events_count"`
	SrcURL             string         `json:"src_url,omitempty"`
	Types              []string       `json:"types,omitempty"`
}

type ocsfAnalytic struct {
	UID      string `json:"uid"`
	Name     string `json:"name"`
	TypeID   int    `json:"type_id"`
	Type     string `json:"type"`
	Category string `json:"category,omitempty"`
}

type ocsfAttack struct {
	Technique    *ocsfRef  `json:"technique,omitempty"`
	SubTechnique *ocsfRef  `json:"sub_technique,omitempty"`
	Tactics      []ocsfRef `json:"tactics,omitempty"`
}

type ocsfRef struct {
	UID  string `json:"uid"`
	Name string `json:"name,omitempty"`
}

type ocsfDevice struct {
	Hostname string `json:"hostname"`
	TypeID   int    `json:"type_id"`
}

type ocsfEvid struct {
	Name string         `json:"name"`
	UID  string         `json:"uid"`
	Data map[string]any `json:"data"`
}

// ocsfUnmapped keeps what OCSF has no attribute for: the alert's group and parameters.
type ocsfUnmapped struct {
	Group  map[string]any `json:"group"`
	Params map[string]any `json:"params,omitempty"`
}

// ocsfWriter writes one finding per line; hunt records have no OCSF form and are refused.
type ocsfWriter struct{ enc *json.Encoder }

func (o *ocsfWriter) Write(out runtime.Output) error {
	a, ok := out.(*runtime.Alert)
	if !ok {
		return ErrHuntOCSF
	}
	if err := o.enc.Encode(ocsfOf(a)); err != nil {
		return fmt.Errorf("write ocsf: alert %s: %w", a.ID, err)
	}
	return nil
}

func (o *ocsfWriter) Close() error { return nil }

// ErrHuntOCSF is the error of writing a hunt record as OCSF.
var ErrHuntOCSF = fmt.Errorf("hunt records have no OCSF form: use --format json or text with --hunt")

// ocsfOf is alert a as a Detection Finding.
func ocsfOf(a *runtime.Alert) ocsfFinding {
	sevID, sev := ocsfSeverity(a.Severity)
	first, last := a.FirstSeen.UnixMilli(), a.LastSeen.UnixMilli()
	f := ocsfFinding{
		ClassUID: ocsfClassUID, ClassName: "Detection Finding", CategoryUID: ocsfCategoryUID, CategoryName: "Findings",
		ActivityID: ocsfActivityID, ActivityName: "Create", TypeUID: ocsfTypeUID, TypeName: "Detection Finding: Create",
		SeverityID: sevID, Severity: sev, StatusID: ocsfStatusNew, Status: "New",
		Time: last, StartTime: first, EndTime: last, IsAlert: true, Message: a.Title(),
		Metadata: ocsfMetadata{Version: ocsfVersion, UID: a.ID,
			Product: ocsfProduct{Name: "stixcel", VendorName: "stixcel"}},
		FindingInfo: ocsfInfo{UID: a.ID, Title: a.Title(), Analytic: ocsfAnalyticOf(a), Attacks: ocsfAttacks(a.Techniques),
			FirstSeenTime: first, LastSeenTime: last, RelatedEventsCount: eventCount(a)},
		Unmapped: ocsfUnmapped{Group: a.Group, Params: a.Params},
	}
	if a.Name != f.FindingInfo.Title {
		f.FindingInfo.Desc = a.Name
	}
	for _, an := range a.Analytics {
		f.FindingInfo.RelatedAnalytics = append(f.FindingInfo.RelatedAnalytics, ocsfAnalytic{
			UID: an.ID, Name: strings.TrimSpace(an.ID + " " + an.DetectionStrategyName), TypeID: ocsfAnalyticRule, Type: "Rule", Category: "ATT&CK analytic"})
	}
	if len(a.References) > 0 {
		f.FindingInfo.SrcURL = a.References[0]
	}
	if host, ok := a.Group["host"].(string); ok && host != "" {
		f.Device = &ocsfDevice{Hostname: host, TypeID: 0}
	}
	f.Evidences = ocsfEvidences(a)
	return f
}

// ocsfAnalyticOf names the rule or ATT&CK analytic that raised the alert.
func ocsfAnalyticOf(a *runtime.Alert) ocsfAnalytic {
	if a.Rule != nil {
		return ocsfAnalytic{UID: a.Analytic, Name: a.Rule.Title, TypeID: ocsfAnalyticRule, Type: "Rule", Category: "Sigma rule"}
	}
	return ocsfAnalytic{UID: a.Analytic, Name: joinNonEmpty(" ", a.Analytic, a.DetectionStrategy.Name), TypeID: ocsfAnalyticRule, Type: "Rule", Category: "ATT&CK analytic"}
}

// ocsfAttacks gives one attack per technique: a sub-technique with its parent technique, and
// the technique's tactics by their ATT&CK names (the kill-chain phase names).
func ocsfAttacks(ts []plan.Technique) []ocsfAttack {
	var out []ocsfAttack
	for _, t := range ts {
		at := ocsfAttack{}
		if parent, _, sub := strings.Cut(t.ID, "."); sub {
			at.Technique = &ocsfRef{UID: parent}
			at.SubTechnique = &ocsfRef{UID: t.ID, Name: t.Name}
		} else {
			at.Technique = &ocsfRef{UID: t.ID, Name: t.Name}
		}
		for _, tac := range t.Tactics {
			at.Tactics = append(at.Tactics, ocsfRef{UID: tacticID(tac), Name: tacticName(tac)})
		}
		out = append(out, at)
	}
	return out
}

// enterpriseTactics are the ids of ATT&CK Enterprise's tactics by kill-chain phase name.
var enterpriseTactics = map[string]string{
	"reconnaissance": "TA0043", "resource-development": "TA0042", "initial-access": "TA0001",
	"execution": "TA0002", "persistence": "TA0003", "privilege-escalation": "TA0004",
	"defense-evasion": "TA0005", "credential-access": "TA0006", "discovery": "TA0007",
	"lateral-movement": "TA0008", "collection": "TA0009", "command-and-control": "TA0011",
	"exfiltration": "TA0010", "impact": "TA0040",
}

// tacticID is the tactic's ATT&CK id for an Enterprise phase name, else the phase name
// itself: an alert does not say its domain, and Mobile numbers the same phases otherwise.
func tacticID(phase string) string {
	if id, ok := enterpriseTactics[phase]; ok {
		return id
	}
	return phase
}

// tacticName is a kill-chain phase name as ATT&CK titles the tactic: credential-access →
// Credential Access, command-and-control → Command and Control.
func tacticName(phase string) string {
	words := strings.Split(phase, "-")
	for i, w := range words {
		if w == "and" && i > 0 {
			continue
		}
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// eventCount is how many event matches the alert counts over its channels.
func eventCount(a *runtime.Alert) int64 {
	var n int64
	for _, c := range a.Channels {
		n += c.Count
	}
	return n
}

// ocsfEvidences are the alert's evidence events: one per event, named by its channel, with
// its place and fields as data.
func ocsfEvidences(a *runtime.Alert) []ocsfEvid {
	var out []ocsfEvid
	for _, c := range a.Channels {
		for _, e := range c.Events {
			data := map[string]any{
				"time": e.Time.UnixMilli(), "source": e.Source, "line": e.Line,
				"log_source": c.LogSource, "channel": c.ID,
			}
			fields := map[string]any{}
			for _, f := range e.Fields {
				fields[f.Name] = f.Value
			}
			data["fields"] = fields
			out = append(out, ocsfEvid{Name: joinNonEmpty(" ", c.ID, c.LogSource, c.Channel), UID: fmt.Sprintf("%s:%d", e.Source, e.Line), Data: data})
		}
	}
	return out
}

// ocsfWriterOn is New's OCSF writer on w.
func ocsfWriterOn(w io.Writer) *ocsfWriter { return &ocsfWriter{enc: newEncoder(w)} }
