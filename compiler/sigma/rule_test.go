package sigma

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

// decodeOne decodes src as rule.yml and wants no diagnostics and one rule.
func decodeOne(t *testing.T, src string) *Rule {
	t.Helper()
	rules, ds := Decode("rule.yml", []byte(src))
	require.Empty(t, ds)
	require.Len(t, rules, 1)
	return rules[0]
}

// The specification's example rule ("Yaml File").
const whoami = `title: Whoami Execution
description: Detects a whoami.exe execution
references:
      - https://speakerdeck.com/heirhabarov/hunting-for-privilege-escalation-in-windows-environment
author: Florian Roth
date: 2019-10-23
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image: 'C:\Windows\System32\whoami.exe'
    condition: selection
level: high
custom_field: kept
related:
    - id: 5a0d2a19-b5f4-4bd9-a6c8-c1d8c1b3a4e1
      type: derived
`

func TestDecodeSpecExample(t *testing.T) {
	r := decodeOne(t, whoami)
	assert.Equal(t, KindRule, r.Kind)
	assert.Equal(t, "Whoami Execution", r.Title.Value)
	assert.Equal(t, "2019-10-23", r.Date.Value)
	assert.Equal(t, "high", r.Level.Value)
	assert.Equal(t, "process_creation", r.LogSource.Category.Value)
	assert.Equal(t, "windows", r.LogSource.Product.Value)
	require.Len(t, r.References, 1)
	require.Len(t, r.Related, 1)
	assert.Equal(t, "derived", r.Related[0].Type.Value)
	require.Len(t, r.Custom, 1)
	assert.Equal(t, "custom_field", r.Custom[0].Key.Value)

	require.NotNil(t, r.Detection)
	require.Len(t, r.Detection.Conditions, 1)
	assert.Equal(t, "selection", r.Detection.Conditions[0].Value)
	assert.Equal(t, "rule.yml:13:16", r.Detection.Conditions[0].Pos.String())
	sel := r.Detection.Search("selection")
	require.NotNil(t, sel)
	require.Len(t, sel.Groups, 1)
	m := sel.Groups[0][0]
	assert.Equal(t, "Image", m.Field)
	assert.Equal(t, "rule.yml:12:9", m.Pos.String())
	require.Len(t, m.Values, 1)
	assert.Equal(t, `C:\Windows\System32\whoami.exe`, m.Values[0].Raw)
	assert.Equal(t, []Segment{{Kind: SegLiteral, Text: `C:\Windows\System32\whoami.exe`}}, m.Values[0].Pattern)
	assert.Equal(t, "rule.yml:12:16", m.Values[0].Pos.String())
}

func TestDecodeSearchShapes(t *testing.T) {
	r := decodeOne(t, `title: t
logsource: {product: windows}
detection:
    map:
        EventLog: Security
        EventID:
            - 517
            - 1102
    maplist:
        - Image|endswith: '\example.exe'
        - Description|contains: 'Test executable'
    keywords:
        - 'EVILSERVICE'
        - 'svchost.exe -n evil'
    keywords_all:
        '|all':
            - 'OabVirtualDirectory'
            - ' -ExternalUrl '
    empty:
        PasswordLastSet: null
        Other: ''
    exists:
        PasswordLastSet|exists: true
    condition:
        - map and maplist
        - 1 of keywords*
`)
	det := r.Detection
	require.Len(t, det.Searches, 6)
	require.Len(t, det.Conditions, 2)

	m := det.Search("map")
	assert.Equal(t, ShapeMap, m.Shape)
	require.Len(t, m.Groups, 1)
	require.Len(t, m.Groups[0], 2)
	ids := m.Groups[0][1].Values
	require.Len(t, ids, 2)
	assert.Equal(t, KindInt, ids[0].Kind)
	assert.Equal(t, int64(1102), ids[1].Int)

	ml := det.Search("maplist")
	assert.Equal(t, ShapeMapList, ml.Shape)
	require.Len(t, ml.Groups, 2)
	assert.Equal(t, "Description", ml.Groups[1][0].Field)
	assert.Equal(t, []Modifier{{Name: "contains", Pos: diag.Pos{File: "rule.yml", Line: 11, Col: 23}}}, ml.Groups[1][0].Modifiers)

	kw := det.Search("keywords")
	assert.Equal(t, ShapeKeywords, kw.Shape)
	require.Len(t, kw.Groups, 1)
	assert.Empty(t, kw.Groups[0][0].Field)
	assert.Len(t, kw.Groups[0][0].Values, 2)

	all := det.Search("keywords_all").Groups[0][0]
	assert.Empty(t, all.Field)
	assert.True(t, all.Has("all"))

	empty := det.Search("empty").Groups[0]
	assert.Equal(t, KindNull, empty[0].Values[0].Kind)
	assert.Equal(t, KindString, empty[1].Values[0].Kind)
	assert.Empty(t, empty[1].Values[0].Raw)

	ex := det.Search("exists").Groups[0][0]
	assert.Equal(t, KindBool, ex.Values[0].Kind)
	assert.True(t, ex.Values[0].Bool)
}

func TestDecodeCollections(t *testing.T) {
	rules, ds := Decode("c.yml", []byte(`action: global
title: Shared title
logsource:
    product: windows
detection:
    condition: selection
---
logsource:
    category: process_creation
detection:
    selection:
        Image|endswith: '\a.exe'
---
action: repeat
detection:
    selection:
        Image|endswith: '\b.exe'
---
action: reset
---
title: Alone
logsource:
    service: security
detection:
    selection:
        EventID: 4688
    condition: selection
`))
	require.Empty(t, ds)
	require.Len(t, rules, 3)
	for i, want := range []struct{ title, product, category, service, image string }{
		{"Shared title", "windows", "process_creation", "", `\a.exe`},
		{"Shared title", "windows", "process_creation", "", `\b.exe`},
		{"Alone", "", "", "security", ""},
	} {
		r := rules[i]
		assert.Equal(t, want.title, r.Title.Value, i)
		assert.Equal(t, want.product, r.LogSource.Product.Value, i)
		assert.Equal(t, want.category, r.LogSource.Category.Value, i)
		assert.Equal(t, want.service, r.LogSource.Service.Value, i)
		require.Len(t, r.Detection.Conditions, 1, i)
		if want.image != "" {
			assert.Equal(t, want.image, r.Detection.Search("selection").Groups[0][0].Values[0].Raw, i)
		}
	}
	assert.Equal(t, "c.yml:6:16", rules[0].Detection.Conditions[0].Pos.String(), "the global condition keeps its position")
}

func TestDecodeKinds(t *testing.T) {
	rules, ds := Decode("k.yml", []byte(`title: Many failed logins
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 5m
    condition:
        gte: 10
---
title: Filter out admins
logsource:
    product: windows
filter:
    rules:
        - 6f3e2987-db24-4c78-a860-b4f4095a7095
    selection:
        User: admin
    condition: not selection
`))
	require.Empty(t, ds)
	require.Len(t, rules, 2)
	assert.Equal(t, KindCorrelation, rules[0].Kind)
	assert.Equal(t, "k.yml:3:5", rules[0].BodyPos.String())
	assert.NotNil(t, rules[0].Body)
	assert.Nil(t, rules[0].Detection)
	assert.Equal(t, KindFilter, rules[1].Kind)
	assert.Equal(t, "k.yml:16:5", rules[1].BodyPos.String())
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"missing detection and logsource", "title: t\n", []string{
			`rule.yml:1:1: error: rule has no "logsource" key`,
			`rule.yml:1:1: error: rule has no "detection" key`,
		}},
		{"missing condition", "title: t\nlogsource: {}\ndetection:\n  sel:\n    a: b\n", []string{
			`rule.yml:4:3: error: detection has no "condition" key`,
		}},
		{"unknown action", "action: globl\ntitle: t\n", []string{
			`rule.yml:1:9: error: unknown action "globl" (want global, reset or repeat)`,
		}},
		{"repeat first", "action: repeat\ntitle: t\n", []string{
			`rule.yml:1:9: error: action repeat has no rule before it to repeat`,
		}},
		{"mixed list", "title: t\nlogsource: {}\ndetection:\n  sel:\n    - a: b\n    - plain\n  condition: sel\n", []string{
			`rule.yml:5:5: error: search "sel" mixes maps and plain values in one list; put keywords in a search of their own`,
		}},
		{"scalar search is a keyword", "title: t\nlogsource: {}\ndetection:\n  sel: evil\n  condition: sel\n", nil},
		{"invalid YAML", "title: [\n", []string{"rule.yml:1:8: error: invalid YAML"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := Decode("rule.yml", []byte(tc.src))
			require.Len(t, ds, len(tc.want), "%v", ds)
			for i, want := range tc.want {
				assert.Contains(t, ds[i].Error(), want)
			}
		})
	}
}

// TestDecodeBadShapes feeds malformed rules: each is reported, never a panic, never silence.
func TestDecodeBadShapes(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"empty file", "", "rule.yml:1:1: error: the file holds no Sigma rule"},
		{"comments only", "# nothing\n", "rule.yml:1:1: error: the file holds no Sigma rule"},
		{"global alone", "action: global\ntitle: t\n", "rule.yml:1:1: error: the file holds no Sigma rule"},
		{"document is a list", "- a\n- b\n", "rule.yml:1:1: error: rule must be a mapping, not a list"},
		{"detection is a list", "title: t\nlogsource: {}\ndetection: [a]\n", "rule.yml:3:12: error: detection must be a mapping, not a list"},
		{"empty search", "title: t\nlogsource: {}\ndetection:\n  sel:\n  condition: sel\n", `rule.yml:4:3: error: search "sel" is empty; want a map of fields or a list`},
		{"empty value list", "title: t\nlogsource: {}\ndetection:\n  sel:\n    a: []\n  condition: sel\n", `rule.yml:5:8: error: field "a" of search "sel" is an empty list`},
		{"nested map value", "title: t\nlogsource: {}\ndetection:\n  sel:\n    a: {b: c}\n  condition: sel\n", `rule.yml:5:8: error: field "a" of search "sel" must be a string, number, boolean or null, not a mapping`},
		{"alias", "title: t\nlogsource: {}\ndetection:\n  sel: &x\n    a: b\n  other: *x\n  condition: sel\n", `rule.yml:6:10: error: search "other": YAML aliases are not supported; write the value out`},
		{"keyword boolean", "title: t\nlogsource: {}\ndetection:\n  kw: [a, true]\n  condition: kw\n", `rule.yml:4:11: error: keywords of search "kw": a keyword must be a string or number, not boolean`},
		{"condition is a map", "title: t\nlogsource: {}\ndetection:\n  sel: a\n  condition: {a: b}\n", "rule.yml:5:14: error: condition must be a string, not a mapping"},
		{"related without type", "title: t\nlogsource: {}\ndetection: {sel: a, condition: sel}\nrelated:\n  - id: x\n", `rule.yml:5:5: error: related item has no "type" key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := Decode("rule.yml", []byte(tc.src))
			require.NotEmpty(t, ds)
			assert.Equal(t, tc.want, ds[0].Error(), "%v", ds)
		})
	}
}
