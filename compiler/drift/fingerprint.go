package drift

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/stixcel/stixcel/compiler/attack"
)

// Fingerprint is the digest of what a binding relies on in an analytic: each channel's log
// source, data component (its STIX id) and text, in order, and each mutable element's field and
// description, in order. It is 16 hex digits of SHA-256 over those strings, each written
// with its length so that no two lists give the same text. The version is not part of it:
// ATT&CK changes content without changing versions.
func Fingerprint(a *attack.Analytic) string {
	h := sha256.New()
	write := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	write("channels")
	for _, ref := range a.LogSources {
		write(ref.Name)
		write(ref.DataComponent.StixID) // set whether or not the bundle holds the data component
		write(ref.Channel)
	}
	write("mutable_elements")
	for _, e := range a.MutableElements {
		write(e.Field)
		write(e.Description)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
