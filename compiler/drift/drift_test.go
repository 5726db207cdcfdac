package drift

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/internal/golden"
	"github.com/stixcel/stixcel/internal/shared"
)

var (
	sysmon10  = attack.LogSourceRef{Name: "WinEventLog:Sysmon", Channel: "EventCode=10", DataComponent: attack.DataComponent{ID: "DC0035", Name: "Process Access", StixID: "x-mitre-data-component--35"}}
	security  = attack.LogSourceRef{Name: "WinEventLog:Security", Channel: "EventCode=4663", DataComponent: attack.DataComponent{ID: "DC0055", Name: "File Access", StixID: "x-mitre-data-component--55"}}
	strategyA = &attack.Strategy{ID: "DET0001", Name: "LSASS access"}
)

// analytic is AN0001 with the given channels; change edits a copy.
func analytic(refs ...attack.LogSourceRef) *attack.Analytic {
	return &attack.Analytic{ID: "AN0001", StixID: "x-mitre-analytic--1", Name: "Analytic 0001", Version: "1.0",
		Strategy: strategyA, Techniques: []attack.Technique{{ID: "T1003.001"}}, LogSources: refs,
		MutableElements: []attack.MutableElement{{Field: "TimeWindow", Description: "how long"}}}
}

func with(a *attack.Analytic, change func(*attack.Analytic)) *attack.Analytic {
	c := *a
	change(&c)
	return &c
}

func TestCompareAnalytic(t *testing.T) {
	base := analytic(sysmon10, security)
	tests := []struct {
		name        string
		now         *attack.Analytic
		wantKind    string
		wantChannel []string // "id:change,change"
		check       func(t *testing.T, d *AnalyticDrift)
	}{
		{name: "same content, another version", now: with(base, func(a *attack.Analytic) { a.Version = "1.1" })},
		{name: "text", now: analytic(sysmon10, func() attack.LogSourceRef { r := security; r.Channel = "EventCode=4663, 4670, 4656"; return r }()),
			wantKind: ChannelsText, wantChannel: []string{"c2:text"}},
		{name: "log source case only", now: analytic(func() attack.LogSourceRef { r := sysmon10; r.Name = "WinEventLog:sysmon"; return r }(), security),
			wantKind: ChannelsCase, wantChannel: []string{"c1:log_source_case"}},
		{name: "log source and text: the log source wins", now: analytic(sysmon10, func() attack.LogSourceRef {
			r := security
			r.Name, r.Channel = "WinEventLog:System", "EventCode=7045"
			return r
		}()), wantKind: ChannelsLogSource, wantChannel: []string{"c2:log_source,text"}},
		{name: "data component", now: analytic(sysmon10, func() attack.LogSourceRef {
			r := security
			r.DataComponent = attack.DataComponent{ID: "DC0061", StixID: "x-mitre-data-component--61"}
			return r
		}()),
			wantKind: ChannelsDataComponent, wantChannel: []string{"c2:data_component"}},
		{name: "a channel fewer: positions move", now: analytic(security),
			wantKind: ChannelsCount, wantChannel: []string{"c1:log_source,data_component,text", "c2:count"}},
		{name: "order swapped", now: analytic(security, sysmon10),
			wantKind: ChannelsLogSource, wantChannel: []string{"c1:log_source,data_component,text", "c2:log_source,data_component,text"}},
		{name: "mutable element added and described anew", now: with(base, func(a *attack.Analytic) {
			a.MutableElements = []attack.MutableElement{{Field: "TimeWindow", Description: "how long, in minutes"}, {Field: "UserList"}}
		}), check: func(t *testing.T, d *AnalyticDrift) {
			assert.Equal(t, &ElementsDrift{Added: []string{"UserList"}, Changed: []string{"TimeWindow"}}, d.MutableElements)
		}},
		{name: "same data component, loaded on one side only", now: analytic(sysmon10, func() attack.LogSourceRef {
			r := security
			r.DataComponent = attack.DataComponent{StixID: security.DataComponent.StixID}
			return r
		}())},
		{name: "same strategy, object loaded on one side only: techniques not compared", now: with(base, func(a *attack.Analytic) {
			a.Strategy, a.StrategyFromURL, a.Techniques = nil, "DET0001", nil
		})},
		{name: "strategy and techniques", now: with(base, func(a *attack.Analytic) {
			a.Strategy = &attack.Strategy{ID: "DET0002", Name: "Credential dumping"}
			a.Techniques = []attack.Technique{{ID: "T1003"}}
		}), check: func(t *testing.T, d *AnalyticDrift) {
			assert.Equal(t, &Changed{Old: "DET0001 LSASS access", New: "DET0002 Credential dumping"}, d.Strategy)
			assert.Equal(t, &TechniqueDrift{Added: []string{"T1003"}, Removed: []string{"T1003.001"}}, d.Techniques)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := compareAnalytic(base, tc.now)
			if tc.wantKind == "" && tc.check == nil {
				assert.Nil(t, d, "nothing a binding relies on changed")
				return
			}
			require.NotNil(t, d)
			assert.Equal(t, tc.wantKind, d.ChannelChange)
			var got []string
			for _, c := range d.Channels {
				got = append(got, c.ID+":"+join(c.Change))
			}
			assert.Equal(t, tc.wantChannel, got)
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func join(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x)
	}
	return b.String()
}

func TestCompareReleases(t *testing.T) {
	kept := analytic(sysmon10)
	gone := with(kept, func(a *attack.Analytic) { a.ID, a.StixID = "AN0002", "x-mitre-analytic--2" })
	revoked := with(kept, func(a *attack.Analytic) { a.ID, a.StixID = "AN0003", "x-mitre-analytic--3" })
	deprecated := with(kept, func(a *attack.Analytic) { a.ID, a.StixID = "AN0004", "x-mitre-analytic--4" })
	added := with(kept, func(a *attack.Analytic) { a.ID, a.StixID = "AN0005", "x-mitre-analytic--5" })
	was := attack.NewIndex([]*attack.Analytic{kept, gone, revoked, deprecated})
	now := attack.NewIndex([]*attack.Analytic{kept, added,
		with(revoked, func(a *attack.Analytic) { a.Revoked = true }),
		with(deprecated, func(a *attack.Analytic) { a.Deprecated = true })})

	r := Compare(was, now)
	assert.Equal(t, []string{"AN0005"}, r.Added)
	assert.Equal(t, []string{"AN0002"}, r.Removed)
	assert.Equal(t, []string{"AN0003"}, r.Revoked)
	assert.Equal(t, []string{"AN0004"}, r.Deprecated)
	assert.Empty(t, r.Changed)
	assert.Equal(t, 4, r.Old.Analytics)
	assert.Equal(t, 2, r.New.Analytics, "revoked and deprecated analytics are not counted as active")
}

// TestCompareEnterprise18 compares the real v18.0 and v18.1 enterprise releases: 322
// analytics changed their channels (276 text only, 32 log source, 11 log source case, 3 the
// number of references) and 1 its mutable elements, all at x_mitre_version 1.0. The golden
// file keeps the JSON of the summary and of one analytic of each kind, not the whole
// report: the rest is ATT&CK's own text.
func TestCompareEnterprise18(t *testing.T) {
	load := func(name string) *attack.Index {
		ix, _, err := attack.LoadPaths([]string{shared.Path(t, "attack", name)}, attack.Options{IncludeRevoked: true})
		require.NoError(t, err)
		return ix
	}
	r := Compare(load("enterprise-attack-18.0-detection.json"), load("enterprise-attack-18.1-detection.json"))
	assert.Equal(t, 322, r.Summary.Channels)
	assert.Equal(t, map[string]int{ChannelsText: 276, ChannelsLogSource: 32, ChannelsCase: 11, ChannelsCount: 3}, r.Summary.ChannelsBy)
	assert.Equal(t, 1, r.Summary.MutableElements)

	sample := struct {
		Summary  Summary          `json:"summary"`
		Analytic []*AnalyticDrift `json:"analytics"`
	}{Summary: r.Summary}
	seen := map[string]bool{}
	for _, d := range r.Changed {
		kind := d.ChannelChange
		if d.MutableElements != nil {
			kind = "mutable"
		}
		if !seen[kind] || d.ID == "AN0469" {
			seen[kind] = true
			sample.Analytic = append(sample.Analytic, d)
		}
	}
	got, err := json.MarshalIndent(sample, "", "  ")
	require.NoError(t, err)
	golden.Check(t, "testdata/enterprise-18.0-18.1.json", append(got, '\n'))
}
