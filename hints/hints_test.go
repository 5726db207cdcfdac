package hints

import (
	"testing"

	"github.com/stretchr/testify/assert"

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
