package attack

import (
	"os"
	"testing"

	"github.com/stixcel/stixcel/internal/shared"
)

func BenchmarkLoadEnterprise(b *testing.B) {
	data, err := os.ReadFile(shared.Path(b, "attack", "enterprise-attack-18.1-detection.json"))
	if err != nil {
		b.Fatal(err)
	}
	sources := []Source{{Name: "enterprise-attack-18.1-detection.json", Data: data}}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Load(sources, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
