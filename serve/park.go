package serve

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/stixcel/stixcel/event"
)

// ReasonTooLarge parks a match or an alert that the server's maximum payload leaves no room
// for once its headers are added (its event line fitted, alone, in the events stream).
const ReasonTooLarge = "too large to forward"

// maxHeaderValue bounds each header value of a parked message: a collector's source name or
// a detail cannot take the room of the line.
const maxHeaderValue = 1024

// idRoom is the room kept under the maximum payload for the Nats-Msg-Id header the client
// adds when it publishes (stage ids are tens of bytes).
const idRoom = 256

// msgSize is what m counts against the server's maximum payload: its data and its headers
// as NATS encodes them ("NATS/1.0\r\n", a "Key: value\r\n" per value, "\r\n").
func msgSize(m *nats.Msg) int64 {
	n := int64(len(m.Data))
	if len(m.Header) == 0 {
		return n
	}
	n += int64(len("NATS/1.0\r\n") + len("\r\n"))
	for k, vs := range m.Header {
		for _, v := range vs {
			n += int64(len(k) + len(": ") + len(v) + len("\r\n"))
		}
	}
	return n
}

// fits reports whether m, with its message id still to add, is within maxPayload (0: no
// limit known).
func fits(m *nats.Msg, maxPayload int64) bool {
	return maxPayload <= 0 || msgSize(m)+idRoom <= maxPayload
}

// parkMsg is the message that parks rej on subject within maxPayload, so that a bad line
// never blocks its stream by being too large to park: header values are cut to
// maxHeaderValue bytes and, when the line leaves no room for the headers, the message keeps
// its first bytes and HeaderSize gives its full size. truncated says whether the line was
// cut.
func parkMsg(subject string, rej *event.Rejection, maxPayload int64) (m *nats.Msg, truncated bool) {
	m = rejectMsg(subject, rej)
	for k, vs := range m.Header {
		for i, v := range vs {
			m.Header[k][i] = cutText(v, maxHeaderValue)
		}
	}
	if fits(m, maxPayload) {
		return m, false
	}
	m.Header.Set(HeaderSize, strconv.Itoa(len(rej.Raw)))
	room := max(maxPayload-idRoom-(msgSize(m)-int64(len(m.Data))), 0)
	m.Data = rej.Raw[:min(room, int64(len(rej.Raw)))]
	return m, true
}

// tooLarge is the rejection of m, a match or an alert that does not fit in maxPayload: its
// data, cited at src:line, parked as ReasonTooLarge.
func tooLarge(m *nats.Msg, src string, line int, maxPayload int64) *event.Rejection {
	return &event.Rejection{File: src, Line: line, Reason: ReasonTooLarge, Raw: m.Data,
		Detail: fmt.Sprintf("%d bytes for %s with headers, over the server's maximum payload of %d bytes", msgSize(m)+idRoom, m.Subject, maxPayload)}
}

// cutText cuts s to at most n bytes, at a rune boundary.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
