package params

import (
	"maps"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
)

var corpusBundles = []string{"enterprise-attack-18.1-detection.json", "mobile-attack-18.1-detection.json"}

// TestInferCorpus types every mutable element of ATT&CK v18.1 and checks each suggested value
// against its type. It logs the type histogram and how many elements got a value.
func TestInferCorpus(t *testing.T) {
	types := map[string]int{}
	valued := map[string]int{}
	total, withValue := 0, 0
	for _, name := range corpusBundles {
		for _, el := range readElements(t, shared.Path(t, "attack", name)) {
			got := Infer(el.Field, el.Description)
			total++
			types[got.Type]++
			err := plan.ParseType(got.Type).Err()
			require.NoError(t, err, "%s: type %q", el.Field, got.Type)
			require.NotEmpty(t, got.Why, el.Field)
			if got.Value == nil {
				continue
			}
			withValue++
			valued[got.Type]++
			canon, err := plan.ParseType(got.Type).Canonical(got.Value)
			require.NoError(t, err, "%s: %q → %#v (%s)", el.Field, el.Description, got.Value, got.Why)
			require.Equal(t, got.Value, canon, "%s: value not canonical (%s)", el.Field, got.Why)
		}
	}
	require.Greater(t, total, 4000, "the v18.1 corpus has 4,337 mutable elements")
	assert.Equal(t, total, sumCounts(types), "every element is typed")
	t.Logf("%d mutable elements, %d with a suggested value (%.1f%%)", total, withValue, 100*float64(withValue)/float64(total))
	for _, typ := range byCount(types) {
		t.Logf("  %-26s %5d typed  %4d valued", typ, types[typ], valued[typ])
	}
}

// TestInferCorpusTimeWindow checks the most common element: every TimeWindow is a duration.
func TestInferCorpusTimeWindow(t *testing.T) {
	for _, el := range readElements(t, shared.Path(t, "attack", corpusBundles[0])) {
		if el.Field == "TimeWindow" {
			assert.Equal(t, "duration", Infer(el.Field, el.Description).Type, el.Description)
		}
	}
}

// BenchmarkInferEnterprise infers every mutable element of the enterprise bundle.
func BenchmarkInferEnterprise(b *testing.B) {
	elems := readElements(b, shared.Path(b, "attack", corpusBundles[0]))
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		for _, el := range elems {
			Infer(el.Field, el.Description)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*len(elems)), "ns/element")
}

// FuzzInfer checks that any input gives a parseable type and a canonical value.
func FuzzInfer(f *testing.F) {
	for _, seed := range [][2]string{
		{"TimeWindow", "Correlation window (e.g., 5–10 minutes)"},
		{"AccessMask", "Set to 0x1F0FFF to detect full memory access attempts"},
		{"EntropyThreshold", "Shannon entropy (e.g., >4.5)"},
		{"ServicePortSet", "22, 5900, 8080/8443 by default."},
		{"AllowedProcesses", "Known camera consumers (e.g., Teams.exe, 'zoom.exe', `obs64.exe`)"},
		{"AllowedProtocolPortMappings", "pairs (e.g., tls: 443; http: 80, 8080)"},
		{"SupervisedRequired", "default: true"},
		{"TimeWindow", "e.g., 99999999999999999999 hours"},
		{"FailedLogonThreshold", "e.g., >99999999999999999999999"},
		{"MountPath", "(e.g., `a` and `b`"},
		{"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, field, desc string) {
		got := Infer(field, desc)
		if err := plan.ParseType(got.Type).Err(); err != nil {
			t.Fatalf("Infer(%q, %q).Type = %q: %v", field, desc, got.Type, err)
		}
		if got.Value == nil {
			return
		}
		canon, err := plan.ParseType(got.Type).Canonical(got.Value)
		if err != nil {
			t.Fatalf("Infer(%q, %q) = %s %#v: %v", field, desc, got.Type, got.Value, err)
		}
		assert.Equal(t, got.Value, canon, "Infer(%q, %q) value not canonical", field, desc)
	})
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// byCount returns the keys of m, most frequent first.
func byCount(m map[string]int) []string {
	keys := slices.Sorted(maps.Keys(m))
	sort.SliceStable(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	return keys
}
