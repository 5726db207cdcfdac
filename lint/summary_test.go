package lint_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/lint"
	"github.com/stixcel/stixcel/pack"
)

// TestWriteSummary: the counts, then the bindings checked for syntax only (their analytics
// are not loaded) with the bundle to pass, --strict offered unless they are errors already,
// and at most hints.MaxHintIDs ids named.
func TestWriteSummary(t *testing.T) {
	bindings := func(n int) []*pack.Pack {
		p := &pack.Pack{}
		for i := range n {
			p.Bindings = append(p.Bindings, &pack.Binding{File: "mobile/x.yaml", Analytic: pack.String{Value: fmt.Sprintf("AN900%d", i)}})
		}
		return []*pack.Pack{p}
	}
	diags := diag.Diagnostics{{Severity: diag.SeverityError}, {Severity: diag.SeverityWarning}, {Severity: diag.SeverityWarning}}
	tests := []struct {
		name    string
		packs   []*pack.Pack
		isError bool
		want    string
	}{
		{name: "every analytic loaded", packs: bindings(0), want: "1 errors, 2 warnings\n"},
		{name: "one binding for syntax only", packs: bindings(1),
			want: "1 errors, 2 warnings\nhint: 1 binding was checked for syntax only, its analytic not loaded (AN9000): pass --bundle mobile-attack-….json (lint --strict makes this an error)\n"},
		{name: "already an error", packs: bindings(2), isError: true,
			want: "1 errors, 2 warnings\nhint: 2 bindings were checked for syntax only, their analytics not loaded (AN9000, AN9001): pass --bundle mobile-attack-….json\n"},
		{name: "many", packs: bindings(8), isError: true,
			want: "1 errors, 2 warnings\nhint: 8 bindings were checked for syntax only, their analytics not loaded (AN9000, AN9001, AN9002, AN9003, AN9004 and 3 more): pass --bundle mobile-attack-….json\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, lint.WriteSummary(&b, diags, seed(t), tc.packs, tc.isError))
			assert.Equal(t, tc.want, b.String())
		})
	}
}
