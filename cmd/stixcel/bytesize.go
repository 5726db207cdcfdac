package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// byteSize is a flag's size in bytes, written as a number of bytes or with a unit: KiB, MiB,
// GiB (or K, M, G) count in 1024s, KB, MB, GB in 1000s ("32MiB", "1.5 GiB", "64MB",
// "33554432"), so that `--max-held 96MiB` means what the help's "32 MiB" suggests.
type byteSize struct{ n *int64 }

// newByteSize points a byteSize at n, whose value is the flag's default.
func newByteSize(n *int64, def int64) byteSize {
	*n = def
	return byteSize{n: n}
}

// byteUnits are the units Set accepts, by their lower-case name.
var byteUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

func (b byteSize) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*b.n = n
	return nil
}

// parseByteSize reads a size as Set does.
func parseByteSize(s string) (int64, error) {
	text := strings.TrimSpace(s)
	i := strings.IndexFunc(text, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+') })
	if i < 0 {
		i = len(text)
	}
	num, unit := text[:i], strings.ToLower(strings.TrimSpace(text[i:]))
	scale, ok := byteUnits[unit]
	if !ok || num == "" {
		return 0, fmt.Errorf("%q: want a number of bytes, or one with a unit (KiB, MiB, GiB, KB, MB, GB)", s)
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil && scale == 1 {
		return n, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) {
		return 0, fmt.Errorf("%q: want a number of bytes, or one with a unit (KiB, MiB, GiB, KB, MB, GB)", s)
	}
	v := math.Round(f * scale)
	if v >= math.MaxInt64 || v <= math.MinInt64 {
		return 0, fmt.Errorf("%q: too large", s)
	}
	return int64(v), nil
}

func (b byteSize) String() string {
	if b.n == nil {
		return "0"
	}
	return formatByteSize(*b.n)
}

// formatByteSize writes n in the largest binary unit that divides it ("32 MiB"), else in
// bytes.
func formatByteSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + " " + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

func (byteSize) Type() string { return "BYTES" }
