package winlog

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// maxXMLDepth bounds the nesting of an XML event.
const maxXMLDepth = 64

// xmlReader reads rendered <Event> elements, wherever they are (one per line, back to back,
// inside <Events>), each as the evtx_dump JSON of the same event.
type xmlReader struct {
	name string
	dec  *xml.Decoder
	buf  []byte
	done bool
}

func newXMLReader(r io.Reader, name string) *xmlReader {
	dec := xml.NewDecoder(r)
	dec.Strict = true
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil } // decoded as UTF-8
	return &xmlReader{name: name, dec: dec}
}

// Next returns the next event. A syntax error rejects what is left of the input as one
// record, since XML cannot be read past it.
func (x *xmlReader) Next() (jsonl.Line, error) {
	for !x.done {
		tok, err := x.dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return x.fail(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Event" {
			continue
		}
		line, _ := x.dec.InputPos()
		start := x.dec.InputOffset()
		n, err := x.element(se, 1)
		if err != nil {
			return x.fail(err)
		}
		if size := x.dec.InputOffset() - start; size > jsonl.MaxLineBytes {
			detail := fmt.Sprintf("line %d: event of %d bytes, longer than %d", line, size, jsonl.MaxLineBytes)
			return jsonl.Line{Number: line, Text: []byte(`{}`), Reason: ReasonBadXML, Detail: detail}, nil
		}
		if x.buf, err = appendRecord(x.buf[:0], n); err != nil {
			return jsonl.Line{Number: line, Text: []byte(`{}`), Reason: ReasonBadXML, Detail: fmt.Sprintf("line %d: %v", line, err)}, nil
		}
		return jsonl.Line{Number: line, Text: x.buf}, nil
	}
	return jsonl.Line{}, io.EOF
}

// fail rejects the rest of the input for a syntax error; other errors (reading) are returned.
func (x *xmlReader) fail(err error) (jsonl.Line, error) {
	var syn *xml.SyntaxError
	if !errors.As(err, &syn) && !errors.Is(err, errXMLDepth) {
		return jsonl.Line{}, fmt.Errorf("%s: %w", x.name, err)
	}
	x.done = true
	line, _ := x.dec.InputPos()
	detail := fmt.Sprintf("%v (the rest of the input is not read)", err)
	return jsonl.Line{Number: line, Text: appendString(nil, err.Error()), Reason: ReasonBadXML, Detail: detail}, nil
}

var errXMLDepth = fmt.Errorf("XML nested deeper than %d elements", maxXMLDepth)

// element reads the rest of the element se started; text of a leaf is kept whole, white space
// between child elements is dropped. Once the event is longer than a line may be, its
// content is read but not kept.
func (x *xmlReader) element(se xml.StartElement, depth int) (*node, error) {
	if depth > maxXMLDepth {
		return nil, errXMLDepth
	}
	n := &node{name: se.Name.Local}
	for _, a := range se.Attr {
		name := a.Name.Local
		if a.Name.Space == "xmlns" {
			name = "xmlns:" + name
		}
		if a.Value != "" {
			n.attrs = append(n.attrs, attr{name: name, value: a.Value})
		}
	}
	var text strings.Builder
	for {
		tok, err := x.dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = &xml.SyntaxError{Msg: "unexpected EOF in <" + n.name + ">"}
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			c, err := x.element(t, depth+1)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, c)
		case xml.CharData:
			if text.Len() < jsonl.MaxLineBytes {
				text.Write(t)
			}
		case xml.EndElement:
			x.finish(n, text.String())
			return n, nil
		}
	}
}

// finish sets an element's text and gives numbers to the System fields evtx_dump writes as
// numbers. White space alone is the text of an element with neither attributes nor child
// elements only; a <Data Name="…"> without text holds "" (XML does not tell an empty string
// from no value, and an empty string is what Windows writes there).
func (x *xmlReader) finish(n *node, text string) {
	blank := strings.TrimSpace(text) == ""
	switch {
	case !blank || (text != "" && len(n.kids) == 0 && len(n.attrs) == 0):
		n.kids = append(n.kids, numeric(n.name, text))
	case n.name == "Data" && len(n.kids) == 0 && len(n.attrs) > 0:
		n.kids = append(n.kids, "")
	}
	for i, a := range n.attrs {
		n.attrs[i].value = numeric(a.name, a.value.(string))
	}
}

// numeric is a System field's text as evtx_dump writes it: a number, or SystemTime with
// microseconds (Windows renders 100 ns); other text as is.
func numeric(name, text string) any {
	switch name {
	case "SystemTime":
		if t, err := time.Parse(time.RFC3339Nano, text); err == nil {
			return formatTime(t)
		}
	case "EventID", "Version", "Level", "Task", "Opcode", "EventRecordID", "ProcessID", "ThreadID", "Qualifiers":
		if v, err := strconv.ParseInt(text, 10, 64); err == nil {
			return v
		}
	}
	return text
}
