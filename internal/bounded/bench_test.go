package bounded

import (
	"os"
	"testing"

	"github.com/stixcel/stixcel/internal/shared"
)

// BenchmarkCheckJSON measures the depth and byte check over the enterprise bundle, the
// cost it adds in front of gjson when a bundle is loaded.
func BenchmarkCheckJSON(b *testing.B) {
	data, err := os.ReadFile(shared.Path(b, "attack", "enterprise-attack-18.1-detection.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := CheckJSON("enterprise.json", data, MaxJSONDepth); err != nil {
			b.Fatal(err)
		}
	}
}
