package alertfmt

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/stixcel/stixcel/runtime"
)

// STIX identities of what stixcel writes. Ids are UUIDv5 under Namespace, so the same
// alert always becomes the same sighting.
var (
	// Namespace is the UUID namespace of stixcel's STIX ids.
	Namespace = [16]byte{0x6d, 0x3b, 0x1c, 0x52, 0x8e, 0x0f, 0x4a, 0x51, 0x9d, 0x4c, 0x27, 0x5a, 0x0b, 0x61, 0xe8, 0x13}
	// ProducerID is the identity of the producer, stixcel.
	ProducerID = "identity--" + uuid5("stixcel")
	// ExtensionID is the extension-definition of the alert property extension.
	ExtensionID = "extension-definition--" + uuid5("stixcel alert extension v1")
)

// definedAt is the created and modified time of the producer and extension objects.
const definedAt = "2026-01-01T00:00:00.000Z"

// stixTime is the timestamp form STIX asks of created and modified: milliseconds, UTC.
const stixTime = "2006-01-02T15:04:05.000Z"

// stixWriter writes sightings: kept for one bundle at Close, or one per line.
type stixWriter struct {
	w       io.Writer
	stream  bool
	started bool // stream: the identity and extension definition are written
	objects []json.RawMessage
	ids     []string
}

func newSTIXWriter(w io.Writer, stream bool) *stixWriter { return &stixWriter{w: w, stream: stream} }

// ErrHuntSTIX says that hunt records have no STIX form.
var ErrHuntSTIX = errors.New("hunt records have no STIX form: use --format json or text with --hunt")

func (s *stixWriter) Write(o runtime.Output) error {
	a, ok := o.(*runtime.Alert)
	if !ok {
		if _, hunt := o.(*runtime.Hunt); hunt {
			return ErrHuntSTIX
		}
		return fmt.Errorf("write stix: unknown output %T", o)
	}
	obj, id, err := sighting(a)
	if err != nil {
		return err
	}
	if !s.stream {
		s.objects, s.ids = append(s.objects, obj), append(s.ids, id)
		return nil
	}
	if !s.started {
		s.started = true
		if err := s.lines(producer(), extensionDefinition()); err != nil {
			return err
		}
	}
	return s.lines(obj)
}

// lines writes each object on a line of its own.
func (s *stixWriter) lines(objs ...json.RawMessage) error {
	for _, o := range objs {
		if _, err := s.w.Write(append(append([]byte{}, o...), '\n')); err != nil {
			return fmt.Errorf("write stix: %w", err)
		}
	}
	return nil
}

// Close writes the bundle: the producer, the extension definition and every sighting, in
// the order the alerts came. A stream has nothing left to write.
func (s *stixWriter) Close() error {
	if s.stream {
		return nil
	}
	bundle := struct {
		Type    string            `json:"type"`
		ID      string            `json:"id"`
		Objects []json.RawMessage `json:"objects"`
	}{"bundle", "bundle--" + uuid5("bundle\x00"+strings.Join(s.ids, "\x00")),
		append([]json.RawMessage{producer(), extensionDefinition()}, s.objects...)}
	var b bytes.Buffer
	enc := newEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(bundle); err != nil {
		return fmt.Errorf("write stix bundle: %w", err)
	}
	if _, err := s.w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write stix bundle: %w", err)
	}
	return nil
}

// stixSighting is a STIX 2.1 sighting with the alert as a property extension.
type stixSighting struct {
	stixCommon
	Description string                    `json:"description"`
	FirstSeen   string                    `json:"first_seen"`
	LastSeen    string                    `json:"last_seen"`
	Count       int                       `json:"count"`
	SightingOf  string                    `json:"sighting_of_ref"`
	Extensions  map[string]alertExtension `json:"extensions"`
}

// alertExtension carries the whole alert, evidence included, as JSON whose object keys are
// valid STIX dictionary keys (stixKeys).
type alertExtension struct {
	ExtensionType string          `json:"extension_type"`
	Alert         json.RawMessage `json:"alert"`
}

// sightingOf is what the alert is a sighting of: its analytic, or for a Sigma rule the
// indicator (pattern_type sigma, in STIX 2.1's vocabulary) whose id is the rule's UUID.
func sightingOf(a *runtime.Alert) string {
	switch {
	case a.Rule != nil && uuidShape.MatchString(a.Rule.ID):
		return "indicator--" + strings.ToLower(a.Rule.ID)
	case a.Rule != nil:
		return "indicator--" + uuid5("sigma\x00"+a.Analytic)
	case a.StixID != "":
		return a.StixID
	}
	return "x-mitre-analytic--" + uuid5("analytic\x00"+a.Analytic) // a hand-made plan without its analytic's STIX id
}

var uuidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// sighting is the alert as a STIX sighting of its analytic; created and modified are the
// alert's last_seen (event time), so that the same alert gives the same bytes.
func sighting(a *runtime.Alert) (json.RawMessage, string, error) {
	of := sightingOf(a)
	id := "sighting--" + uuid5("alert\x00"+a.ID)
	last := a.LastSeen.UTC().Format(stixTime)
	var alert bytes.Buffer
	if err := newEncoder(&alert).Encode(a); err != nil {
		return nil, "", fmt.Errorf("write stix: alert %s: %w", a.ID, err)
	}
	alertJSON, err := stixKeys(alert.Bytes())
	if err != nil {
		return nil, "", fmt.Errorf("write stix: alert %s: %w", a.ID, err)
	}
	obj := stixSighting{
		stixCommon:  stixCommon{Type: "sighting", SpecVersion: "2.1", ID: id, CreatedBy: ProducerID, Created: last, Modified: last},
		Description: describe(a),
		FirstSeen:   a.FirstSeen.UTC().Format(stixTime), LastSeen: last,
		Count: 1, SightingOf: of,
		Extensions: map[string]alertExtension{ExtensionID: {ExtensionType: "property-extension", Alert: alertJSON}},
	}
	var b bytes.Buffer
	if err := newEncoder(&b).Encode(obj); err != nil {
		return nil, "", fmt.Errorf("write stix: alert %s: %w", a.ID, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), id, nil
}

// describe is a sighting's one-line description: analytic, name, group and techniques.
func describe(a *runtime.Alert) string {
	parts := []string{a.Analytic + " " + a.Title()}
	if g := pairs(a.Group); g != "" {
		parts = append(parts, "on "+g)
	}
	var ts []string
	for _, t := range a.Techniques {
		ts = append(ts, joinNonEmpty(" ", t.ID, t.Name))
	}
	sort.Strings(ts)
	if len(ts) > 0 {
		parts = append(parts, "("+strings.Join(ts, "; ")+")")
	}
	return strings.Join(parts, " ")
}

// stixCommon are the properties every object stixcel writes begins with.
type stixCommon struct {
	Type        string `json:"type"`
	SpecVersion string `json:"spec_version"`
	ID          string `json:"id"`
	CreatedBy   string `json:"created_by_ref,omitempty"`
	Created     string `json:"created"`
	Modified    string `json:"modified"`
}

// producer is the identity of stixcel.
func producer() json.RawMessage {
	return mustJSON(struct {
		stixCommon
		Name          string `json:"name"`
		Description   string `json:"description"`
		IdentityClass string `json:"identity_class"`
	}{
		stixCommon{Type: "identity", SpecVersion: "2.1", ID: ProducerID, Created: definedAt, Modified: definedAt},
		"stixcel", "stixcel: MITRE ATT&CK analytics compiled into CEL detection plans and run over security events", "system",
	})
}

// extensionDefinition defines the alert property extension of sightings.
func extensionDefinition() json.RawMessage {
	return mustJSON(struct {
		stixCommon
		Name           string   `json:"name"`
		Description    string   `json:"description"`
		Schema         string   `json:"schema"`
		Version        string   `json:"version"`
		ExtensionTypes []string `json:"extension_types"`
	}{
		stixCommon{Type: "extension-definition", SpecVersion: "2.1", ID: ExtensionID, CreatedBy: ProducerID,
			Created: definedAt, Modified: definedAt},
		"stixcel alert",
		"The stixcel alert a sighting stands for (property `alert`): its id, group, detection strategy, techniques with tactics, " +
			"the channels the condition used with their evidence events and matched fields, and the params in force.",
		"https://github.com/stixcel/stixcel#alerts", "1.0.0", []string{"property-extension"},
	})
}

// mustJSON encodes a struct of strings and string lists: it cannot fail.
func mustJSON(v any) json.RawMessage {
	var b bytes.Buffer
	if err := newEncoder(&b).Encode(v); err != nil {
		panic("alertfmt: " + err.Error())
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// uuid5 is the RFC 4122 version 5 (SHA-1, name-based) UUID of name in Namespace.
func uuid5(name string) string {
	h := sha1.New()
	h.Write(Namespace[:])
	h.Write([]byte(name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
