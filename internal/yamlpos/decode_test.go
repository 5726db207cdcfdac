package yamlpos_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/yamlpos"
)

func TestSuggest(t *testing.T) {
	known := []string{"analytic", "group_by", "window", "condition", "field"}
	tests := []struct {
		name, typo, want string
	}{
		{"a letter left out", "grop_by", "group_by"},
		{"two letters swapped", "feild", "field"},
		{"another case", "Window", "window"},
		{"nothing close", "colour", ""},
		{"exact", "condition", "condition"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, yamlpos.Suggest(tc.typo, known))
		})
	}
}

func TestDecoderFields(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // the diagnostics, file:line:col: severity: message
	}{
		{
			name: "unknown key with a suggestion",
			yaml: "name: a\ngrop_by: [x]\n",
			want: []string{`f.yaml:2:1: error: unknown key "grop_by" in the file; did you mean "group_by"?`},
		},
		{
			name: "unknown key without one",
			yaml: "name: a\nzzz: 1\n",
			want: []string{`f.yaml:2:1: error: unknown key "zzz" in the file (want one of name, group_by, strict)`},
		},
		{
			name: "missing required key",
			yaml: "group_by: [x]\n",
			want: []string{`f.yaml:1:1: error: the file has no "name" key`},
		},
		{
			name: "wrong shapes at the value",
			yaml: "name: [a]\ngroup_by: x\nstrict: yes please\n",
			want: []string{
				"f.yaml:1:7: error: name must be a string, not a list",
				"f.yaml:2:11: error: group_by must be a list, not a string",
				"f.yaml:3:9: error: strict must be true or false, not a string",
			},
		},
		{
			name: "aliases are refused",
			yaml: "name: &n a\ngroup_by: [*n]\n",
			want: []string{"f.yaml:2:12: error: group_by[0]: YAML aliases are not supported; write the value out"},
		},
		{
			name: "duplicate key",
			yaml: "name: a\nname: b\n",
			want: []string{`f.yaml:2:1: error: duplicate key "name" (first at f.yaml:1:1)`},
		},
		{
			name: "not a mapping",
			yaml: "- a\n",
			want: []string{"f.yaml:1:1: error: the file must be a mapping, not a list"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := yamlpos.NewDecoder("f.yaml", []byte(tc.yaml))
			if body := d.Document([]byte(tc.yaml)); body != nil {
				d.Fields(body, "the file", []yamlpos.Field{
					{Name: "name", Decode: func(e yamlpos.Entry) { d.NonEmpty(e.Value, "name") }},
					{Name: "group_by", Decode: func(e yamlpos.Entry) { d.StrList(e.Value, "group_by") }},
					{Name: "strict", Decode: func(e yamlpos.Entry) { d.Bool(e.Value, "strict") }},
				}, "name")
			}
			d.Diags.Sort()
			var got []string
			for _, dg := range d.Diags {
				got = append(got, dg.Error())
			}
			require.Equal(t, tc.want, got)
		})
	}
}
