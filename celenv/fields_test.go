package celenv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
)

func TestEventFields(t *testing.T) {
	for _, tc := range []struct {
		name, expr string
		want       []string
	}{
		{"empty", "", nil},
		{"select", "event.EventCode == 10", []string{"EventCode"}},
		{"in text order", `event.TargetImage.endsWith("lsass.exe") && event.GrantedAccess in params.AccessMask && event.EventCode == 10`,
			[]string{"TargetImage", "GrantedAccess", "EventCode"}},
		{"index with a constant", `event["Command Line"].contains("x")`, []string{"Command Line"}},
		{"has", `has(event.CmdletName) && event.CmdletName == "x"`, []string{"CmdletName"}},
		{"once each, across lines", "event.a == 1\n&& event.b == 2\n|| event.a == 3", []string{"a", "b"}},
		{"macro over params", `params.P.exists(p, event.Image.matches(p))`, []string{"Image"}},
		{"dynamic key is not a field", `event[params.K] == 1`, nil},
		{"event rebound", `[1].exists(event, event.x == 1)`, nil},
		{"whole event", `size(event) > 2`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := celenv.EventFields(tc.expr)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got, "EventFields(%q)", tc.expr)
		})
	}
	_, err := celenv.EventFields("event.(")
	assert.ErrorContains(t, err, "parse")
}

func TestConditionChannels(t *testing.T) {
	ids := []string{"c1", "c2", "c3", "c4"}
	for _, tc := range []struct {
		name, expr string
		want       map[string]bool
	}{
		{"bools", "c1 && (c2 || c3)", map[string]bool{"c1": true, "c2": true, "c3": true}},
		{"state", "c1 && channels.c2.recurring(duration('5s'))", map[string]bool{"c1": true, "c2": true}},
		{"counts", "channels.c1.count + channels['c4'].count >= 3", map[string]bool{"c1": true, "c4": true}},
		{"whole map", "channels.exists(k, k == 'c1')", map[string]bool{"c1": true, "c2": true, "c3": true, "c4": true}},
		{"unknown ids ignored", "c1 || c9", map[string]bool{"c1": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := celenv.ConditionChannels(tc.expr, ids)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
