package pack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stixcel/stixcel/diag"
)

// addSeeds seeds a fuzz target with every YAML file under testdata and a few edge cases.
func addSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	bad, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	for _, file := range append(files, bad...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "~", "a", "[", "{", "- - -", "analytic: A\nchannels: {c1: |\n  x\n y\n}",
		"analytic: &a A\nwindow: *a\n", "? [a]\n: b\n", "analytic: \"\\\n\"\n",
		"analytic: A\ntests: [{name: n, events: [{a: [[[[1]]]]}], expect: []}]\n",
		"params: {A: !!str 1}\nanalytics: {B: {C: .inf}}\n", "\xff\xfe: \x00\n",
	} {
		f.Add([]byte(s))
	}
}

func checkDiags(t *testing.T, file string, diags diag.Diagnostics) {
	for _, d := range diags {
		if d.Pos.File != file || d.Pos.Line < 1 || d.Msg == "" || d.Code == "" {
			t.Fatalf("diagnostic without file, line, code or message: %#v", d)
		}
	}
}

// probe maps a few positions inside s: PosAt must never panic and must stay in the file.
// (That every scalar's value aligns with the file text is yamlpos's FuzzScalar.)
func probe(t *testing.T, s String) {
	for _, lc := range [][2]int{{1, 1}, {1, 7}, {2, 5}, {0, 0}, {99, 99}} {
		if p := s.PosAt(lc[0], lc[1]); s.Pos.Line > 0 && p.Line < 1 {
			t.Fatalf("PosAt(%d, %d) of %q at %v = %v", lc[0], lc[1], s.Value, s.Pos, p)
		}
	}
}

func FuzzParseBinding(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, diags := ParseBinding("f.yaml", data)
		checkDiags(t, "f.yaml", diags)
		if b == nil {
			return
		}
		probe(t, b.Analytic)
		probe(t, b.Condition)
		for _, cb := range b.Channels {
			probe(t, cb.When)
		}
	})
}

func FuzzParseProfile(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, diags := ParseProfile("f.yaml", data)
		checkDiags(t, "f.yaml", diags)
		if p == nil {
			return
		}
		for _, as := range p.Analytics {
			probe(t, as.Analytic)
		}
	})
}

// FuzzLoadDir loads a pack of two bindings, one in a subdirectory, through LoadDir: no
// panic, and every diagnostic names one of the files (or the pack) with a line.
func FuzzLoadDir(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		half := len(data) / 2
		fsys := fstest.MapFS{
			"p/a.yaml":     {Data: data[:half]},
			"p/sub/b.yaml": {Data: data[half:]},
		}
		_, diags := LoadDir(fsys, "p")
		for _, d := range diags {
			if d.Msg == "" || d.Code == "" || !strings.HasPrefix(d.Pos.File, "p") {
				t.Fatalf("diagnostic without file, code or message: %#v", d)
			}
		}
	})
}
