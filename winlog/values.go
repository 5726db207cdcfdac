package winlog

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// decodeValue decodes a substitution value of binary XML type typ as evtx_dump renders it in
// JSON: integers and reals as numbers, HexInt32/64 and SizeT as "0x…", GUIDs upper case
// without braces, FILETIME and SYSTEMTIME as RFC 3339 UTC, SIDs as "S-1-…", binary as upper
// case hex, arrays as arrays. A value too short for its type is rendered as hex.
func decodeValue(typ byte, b []byte) any {
	if typ&0x80 != 0 {
		return decodeArray(typ&0x7f, b)
	}
	switch typ {
	case 0x00:
		return nil
	case 0x01:
		return strings.TrimRight(decodeUTF16(b), "\x00")
	case 0x02:
		return strings.ToValidUTF8(strings.TrimRight(string(b), "\x00"), "\uFFFD")
	case 0x0d: // bool, as a 32-bit integer
		for _, c := range b {
			if c != 0 {
				return true
			}
		}
		return false
	case 0x0e, 0x20, 0x23: // binary, EvtHandle, EvtXml
		return strings.ToUpper(hex.EncodeToString(b))
	case 0x13:
		return sid(b)
	}
	if n := fixedSize(typ, len(b)); n > 0 && len(b) >= n {
		return decodeFixed(typ, b[:n])
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// fixedSize is the size of a value of a fixed-size type (SizeT is as large as its value).
func fixedSize(typ byte, size int) int {
	switch typ {
	case 0x03, 0x04:
		return 1
	case 0x05, 0x06:
		return 2
	case 0x07, 0x08, 0x0b, 0x14:
		return 4
	case 0x09, 0x0a, 0x0c, 0x11, 0x15:
		return 8
	case 0x0f, 0x12:
		return 16
	case 0x10:
		if size == 4 {
			return 4
		}
		return 8
	}
	return 0
}

func decodeFixed(typ byte, b []byte) any {
	le := binary.LittleEndian
	switch typ {
	case 0x03:
		return int64(int8(b[0]))
	case 0x04:
		return int64(b[0])
	case 0x05:
		return int64(int16(le.Uint16(b)))
	case 0x06:
		return int64(le.Uint16(b))
	case 0x07:
		return int64(int32(le.Uint32(b)))
	case 0x08:
		return int64(le.Uint32(b))
	case 0x09:
		return int64(le.Uint64(b))
	case 0x0a:
		return le.Uint64(b)
	case 0x0b:
		return float64(math.Float32frombits(le.Uint32(b)))
	case 0x0c:
		return math.Float64frombits(le.Uint64(b))
	case 0x0f:
		return guid(b)
	case 0x10:
		if len(b) == 4 {
			return fmt.Sprintf("0x%08x", le.Uint32(b))
		}
		return fmt.Sprintf("0x%016x", le.Uint64(b))
	case 0x11:
		return formatTime(filetime(le.Uint64(b)))
	case 0x12:
		return systemtime(b)
	case 0x14:
		return "0x" + strconv.FormatUint(uint64(le.Uint32(b)), 16)
	case 0x15:
		return "0x" + strconv.FormatUint(le.Uint64(b), 16)
	}
	return nil
}

// decodeArray decodes an array value: strings separated by NULs, or fixed-size values.
func decodeArray(typ byte, b []byte) any {
	out := []any{}
	if typ == 0x01 {
		for _, s := range strings.Split(decodeUTF16(b), "\x00") {
			out = append(out, s)
		}
		if len(out) > 0 && out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
		return out
	}
	n := fixedSize(typ, 8)
	if n == 0 || len(b)%n != 0 {
		return strings.ToUpper(hex.EncodeToString(b))
	}
	for i := 0; i < len(b); i += n {
		out = append(out, decodeFixed(typ, b[i:i+n]))
	}
	return out
}

func guid(b []byte) string {
	le := binary.LittleEndian
	return fmt.Sprintf("%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		le.Uint32(b), le.Uint16(b[4:]), le.Uint16(b[6:]), b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])
}

// sid renders a security identifier: revision, 48-bit authority (big endian), sub-authorities.
func sid(b []byte) any {
	if len(b) < 8 || len(b) < 8+4*int(b[1]) {
		return strings.ToUpper(hex.EncodeToString(b))
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	var s strings.Builder
	fmt.Fprintf(&s, "S-%d-%d", b[0], auth)
	for i := range int(b[1]) {
		fmt.Fprintf(&s, "-%d", binary.LittleEndian.Uint32(b[8+4*i:]))
	}
	return s.String()
}

// filetimeEpoch is 1601-01-01 to 1970-01-01 in 100 ns units.
const filetimeEpoch = 116444736000000000

// filetime is a FILETIME (100 ns units since 1601) as a time.
func filetime(ft uint64) time.Time {
	d := int64(ft) - filetimeEpoch
	if ft > math.MaxInt64 {
		d = math.MaxInt64 - filetimeEpoch
	}
	return time.Unix(d/1e7, d%1e7*100).UTC()
}

func systemtime(b []byte) string {
	le := binary.LittleEndian
	f := func(i int) int { return int(le.Uint16(b[2*i:])) }
	t := time.Date(f(0), time.Month(f(1)), f(3), f(4), f(5), f(6), f(7)*1e6, time.UTC)
	return formatTime(t)
}

// formatTime renders a time as evtx_dump does: UTC, microseconds (a FILETIME's 100 ns digit
// is dropped, so that a record's time is the same read from .evtx, XML or evtx_dump's JSON).
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// textOf is a value as text, as a rendered XML event shows it.
func textOf(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = textOf(x)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}
