package alertfmt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// maxKeyLen is the longest dictionary key STIX 2.1 allows (§2.8: ASCII letters, digits, '-'
// and '_', 1 to 250 of them).
const maxKeyLen = 250

// stixKeys rewrites every object key of the JSON document doc that STIX 2.1 forbids in a
// dictionary (alerts carry keys taken from events and packs: group fields, evidence fields,
// map values, map parameters): see stixKey. Keys already valid are kept, the order of
// members and everything else too.
func stixKeys(doc []byte) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var out bytes.Buffer
	if err := copyValue(dec, &out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// copyValue copies the next value of dec to out with its objects' keys made valid.
func copyValue(dec *json.Decoder, out *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return copyArray(dec, out)
		}
		return copyObject(dec, out)
	default:
		return writeJSON(out, t)
	}
}

func copyArray(dec *json.Decoder, out *bytes.Buffer) error {
	out.WriteByte('[')
	for i := 0; dec.More(); i++ {
		if i > 0 {
			out.WriteByte(',')
		}
		if err := copyValue(dec, out); err != nil {
			return err
		}
	}
	_, err := dec.Token() // ]
	out.WriteByte(']')
	return err
}

// copyObject reads the whole object, members in order, to name its keys knowing all of
// them, then writes it.
func copyObject(dec *json.Decoder, out *bytes.Buffer) error {
	var keys []string
	var values []bytes.Buffer
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("object key %v is not a string", tok)
		}
		var v bytes.Buffer
		if err := copyValue(dec, &v); err != nil {
			return err
		}
		keys, values = append(keys, key), append(values, v)
	}
	if _, err := dec.Token(); err != nil { // }
		return err
	}
	names := stixKeyNames(keys)
	out.WriteByte('{')
	for i := range keys {
		if i > 0 {
			out.WriteByte(',')
		}
		if err := writeJSON(out, names[i]); err != nil {
			return err
		}
		out.WriteByte(':')
		out.Write(values[i].Bytes())
	}
	out.WriteByte('}')
	return nil
}

// writeJSON writes one scalar as JSON, HTML characters as they are.
func writeJSON(out io.Writer, v any) error {
	var b bytes.Buffer
	if err := newEncoder(&b).Encode(v); err != nil {
		return err
	}
	_, err := out.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	return err
}

// stixKeyNames names the keys of one object for STIX: a valid key keeps its name; another is
// stixKey(key), or, when that name is taken in the object (by a valid key, or by another
// key mapped to it first in byte order), that name cut to leave room for "_" and the first
// 12 hex digits of the key's SHA-256, so that distinct keys stay distinct and the names
// depend on the set of keys alone, not on their order.
func stixKeyNames(keys []string) []string {
	names := make([]string, len(keys))
	taken := map[string]bool{}
	var invalid []int
	for i, k := range keys {
		if validSTIXKey(k) {
			names[i], taken[k] = k, true
		} else {
			invalid = append(invalid, i)
		}
	}
	slices.SortStableFunc(invalid, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
	for _, i := range invalid {
		name := stixKey(keys[i])
		for n := 0; taken[name]; n++ {
			sum := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s", n, keys[i]))
			suffix := "_" + hex.EncodeToString(sum[:6])
			name = stixKey(keys[i])[:min(len(stixKey(keys[i])), maxKeyLen-len(suffix))] + suffix
		}
		names[i], taken[name] = name, true
	}
	return names
}

// stixKey is key with every character STIX forbids replaced by '_', cut to maxKeyLen
// bytes; "_" for an empty key.
func stixKey(key string) string {
	var b strings.Builder
	for _, r := range key {
		if b.Len() == maxKeyLen {
			break
		}
		if r < 0x80 && keyChar[r] {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// validSTIXKey reports whether key is a valid STIX 2.1 dictionary key.
func validSTIXKey(key string) bool {
	if len(key) == 0 || len(key) > maxKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] >= 0x80 || !keyChar[key[i]] {
			return false
		}
	}
	return true
}

// keyChar marks the ASCII characters of a STIX dictionary key.
var keyChar = func() (t [128]bool) {
	for c := range 128 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
	}
	return t
}()
