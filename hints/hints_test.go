package hints

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/pack"
)

// TestBundleFlagsFor: the bundle a waiting binding needs is named by the ATT&CK domain
// directory it sits in; a pack without one gets the general advice.
func TestBundleFlagsFor(t *testing.T) {
	binding := func(file string) *pack.Binding { return &pack.Binding{File: file} }
	tests := []struct {
		files []string
		want  string
	}{
		{[]string{"analytics/enterprise/AN1030.yaml"}, "--bundle enterprise-attack-….json"},
		{[]string{"/home/me/packs/mobile/x/AN1.yaml", "analytics/enterprise/AN1030.yaml", "p/enterprise/AN2.yaml"},
			"--bundle enterprise-attack-….json --bundle mobile-attack-….json"},
		{[]string{"my-pack/AN1.yaml"}, "--bundle with the ATT&CK bundle that has them"},
	}
	for _, tc := range tests {
		var bs []*pack.Binding
		for _, f := range tc.files {
			bs = append(bs, binding(f))
		}
		assert.Equal(t, tc.want, BundleFlagsFor(bs), "%v", tc.files)
	}
}

// TestNothingRecognised: a run that recognised no line says what the first one looked like
// and which shapes it would have read; a run that processed anything, or had --source, does
// not.
func TestNothingRecognised(t *testing.T) {
	rej := func(reason, raw string) *event.Rejection {
		return &event.Rejection{File: "logs/a.json", Line: 3, Reason: reason, Raw: []byte(raw)}
	}
	tests := []struct {
		name      string
		noSource  bool
		rejected  []*event.Rejection
		processed int
		want      string // "" for no hint
	}{
		{"syslog-like JSON", true, []*event.Rejection{rej(event.ReasonMissingTime, `{"ts":1,"host":"h","msg":"x"}`), rej(event.ReasonInvalidJSON, "x")}, 0,
			"hint: no line was recognised (2 rejected): they are neither normalized events (time, log_source) nor raw logs of a shape stixcel reads without --source (windows (flat, evtx_dump, ecs)); logs/a.json:3 is a JSON object with keys ts, host, msg: map such logs with a source profile, --source FILE.yaml (docs/events.md)\n"},
		{"many keys", true, []*event.Rejection{rej(event.ReasonMissingTime, `{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i\u001b":1,"j":1}`)}, 0,
			"logs/a.json:3 is a JSON object with keys a, b, c, d, e, f, g, h and 2 more:"},
		{"binary", true, []*event.Rejection{rej(event.ReasonInvalidUTF8, "ElfFile\x00\xff")}, 0, "logs/a.json:3 is not UTF-8 text (a binary or compressed file?)"},
		{"XML", true, []*event.Rejection{rej(event.ReasonInvalidJSON, `<Event xmlns="x"><System>`)}, 0, "logs/a.json:3 is XML or markup"},
		{"text", true, []*event.Rejection{rej(event.ReasonInvalidJSON, `Dec  7 10:00:00 host sshd[1]: x`)}, 0, "(1 rejected): they are neither"},
		{"an array", true, []*event.Rejection{rej(event.ReasonNotObject, `[1,2]`)}, 0, "logs/a.json:3 is a JSON array"},
		{"some processed", true, []*event.Rejection{rej(event.ReasonMissingTime, `{"a":1}`)}, 1, ""},
		{"only late events", true, []*event.Rejection{rej(event.ReasonLate, `{"a":1}`)}, 0, ""},
		{"with --source", false, []*event.Rejection{rej(event.ReasonMissingTime, `{"a":1}`)}, 0, ""},
		{"publish", true, []*event.Rejection{rej(event.ReasonMissingTime, `{"Channel":"Security","EventID":4688}`)}, -1,
			"hint: no line was recognised (1 rejected): they are not normalized events (time, log_source); logs/a.json:3 is a JSON object with keys Channel, EventID: pass --source with a built-in profile for the raw logs it reads (windows (flat, evtx_dump, ecs)), or a source profile of yours, --source FILE.yaml (docs/events.md)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := New(nil, nil, tc.noSource)
			if tc.processed < 0 {
				h.NoImpliedShapes()
			}
			for _, r := range tc.rejected {
				h.Rejected(r)
			}
			for range tc.processed {
				h.Processed(&event.Event{LogSource: "x"})
			}
			var out strings.Builder
			h.Write(&out)
			if tc.want == "" {
				assert.Empty(t, out.String())
				return
			}
			assert.Contains(t, out.String(), tc.want)
			assert.Equal(t, 1, strings.Count(out.String(), "\n"), "one line")
		})
	}
}
