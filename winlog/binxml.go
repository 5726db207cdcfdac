package winlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// node is an XML element of a record: its attributes and its children, elements (*node) or
// values (text and typed substitution values).
type node struct {
	name  string
	attrs []attr
	kids  []any
}

// attr is an attribute; a nil value (an empty optional substitution) is not rendered.
type attr struct {
	name  string
	value any
}

// fragment is the value of a BinXml substitution: elements and values to insert.
type fragment []any

// maxDepth bounds the nesting of template instances and BinXml values in a record.
const maxDepth = 32

// errShort is the error of a read past the end of what a record or template may read.
var errShort = errors.New("truncated binary XML")

// chunkCtx is one 64 KiB chunk being read: its bytes and what its records defined.
type chunkCtx struct {
	data      []byte
	templates map[uint32]*template // by the offset of their definition
	names     map[uint32]string    // by offset
}

func newChunkCtx(data []byte) *chunkCtx {
	return &chunkCtx{data: data, templates: map[uint32]*template{}, names: map[uint32]string{}}
}

// cursor reads binary XML from a chunk between off and end; a read past end sets err and
// returns zeros, so that a parse checks err once per token.
type cursor struct {
	c        *chunkCtx
	off, end int
	err      error
}

func (r *cursor) take(n int) []byte {
	if r.err != nil || n < 0 || r.off+n > r.end {
		if r.err == nil {
			r.err = errShort
		}
		return nil
	}
	b := r.c.data[r.off : r.off+n]
	r.off += n
	return b
}

func (r *cursor) u8() byte {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *cursor) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *cursor) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// utf16String reads n UTF-16LE code units.
func (r *cursor) utf16String(n int) string {
	return decodeUTF16(r.take(2 * n))
}

func decodeUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// name reads a name reference: the name is inline when its offset is where the cursor is,
// else it was defined earlier in the chunk.
func (r *cursor) name() string {
	off := r.u32()
	if r.err != nil {
		return ""
	}
	if int(off) != r.off {
		return r.c.nameAt(off, &r.err)
	}
	r.take(4 + 2) // the next name's offset, the hash
	n := int(r.u16())
	s := r.utf16String(n)
	r.take(2) // NUL
	r.c.names[off] = s
	return s
}

// nameAt reads the name defined at off in the chunk.
func (c *chunkCtx) nameAt(off uint32, errp *error) string {
	if s, ok := c.names[off]; ok {
		return s
	}
	r := &cursor{c: c, off: int(off), end: len(c.data)}
	r.take(4 + 2)
	s := r.utf16String(int(r.u16()))
	if r.err != nil {
		*errp = fmt.Errorf("name at chunk offset %d: %w", off, r.err)
		return ""
	}
	c.names[off] = s
	return s
}

// opKind is what a token of binary XML does to the tree being built.
type opKind uint8

const (
	opOpen opKind = iota
	opCloseStart
	opClose // the end of an element, empty or not
	opAttr
	opValue // a literal value, or a fragment (an instantiated template)
	opSubst
)

// op is one token of a template or a record, ready to build a tree from.
type op struct {
	kind     opKind
	name     string
	value    any
	id       int
	optional bool
}

// template is a template definition's tokens, with substitutions to fill per instance.
type template struct{ ops []op }

// parseStream reads tokens up to the end-of-stream token (or the cursor's end) into ops;
// template instances are instantiated on the spot, their trees become opValue fragments.
func parseStream(r *cursor, depth int) ([]op, error) {
	if depth > maxDepth {
		return nil, errors.New("binary XML nested too deep")
	}
	var ops []op
	for r.err == nil && r.off < r.end {
		start := r.off
		tok := r.u8()
		switch tok {
		case 0x00: // end of stream
			return ops, nil
		case 0x01, 0x41: // open start element
			r.take(2 + 4) // dependency id, data size
			name := r.name()
			if tok == 0x41 {
				r.take(4) // attribute list size
			}
			ops = append(ops, op{kind: opOpen, name: name})
		case 0x02:
			ops = append(ops, op{kind: opCloseStart})
		case 0x03, 0x04:
			ops = append(ops, op{kind: opClose})
		case 0x05, 0x45: // value text
			if t := r.u8(); t != 0x01 && r.err == nil {
				return nil, fmt.Errorf("value token of type 0x%02x at chunk offset %d", t, start)
			}
			ops = append(ops, op{kind: opValue, value: r.utf16String(int(r.u16()))})
		case 0x06, 0x46:
			ops = append(ops, op{kind: opAttr, name: r.name()})
		case 0x07, 0x47: // CDATA
			ops = append(ops, op{kind: opValue, value: r.utf16String(int(r.u16()))})
		case 0x08, 0x48: // character reference
			ops = append(ops, op{kind: opValue, value: string(rune(r.u16()))})
		case 0x09, 0x49:
			ops = append(ops, op{kind: opValue, value: entity(r.name())})
		case 0x0a: // processing instruction target
			r.name()
		case 0x0b: // processing instruction data
			r.utf16String(int(r.u16()))
		case 0x0c:
			tree, err := templateInstance(r, depth)
			if err != nil {
				return nil, err
			}
			ops = append(ops, op{kind: opValue, value: tree})
		case 0x0d, 0x0e:
			id := int(r.u16())
			r.u8() // the value type: the instance's values carry their own
			ops = append(ops, op{kind: opSubst, id: id, optional: tok == 0x0e})
		case 0x0f: // fragment header
			r.take(3)
		default:
			return nil, fmt.Errorf("unknown binary XML token 0x%02x at chunk offset %d", tok, start)
		}
	}
	return ops, r.err
}

func entity(name string) string {
	switch name {
	case "amp":
		return "&"
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "quot":
		return `"`
	case "apos":
		return "'"
	}
	return "&" + name + ";"
}

// templateInstance reads a template instance: its definition (inline, or defined earlier in
// the chunk) and its values, and returns the tree it makes.
func templateInstance(r *cursor, depth int) (fragment, error) {
	r.u8()  // unknown, 1
	r.u32() // template id
	defOff := r.u32()
	if r.err != nil {
		return nil, r.err
	}
	tpl, err := r.c.template(defOff, depth)
	if err != nil {
		return nil, err
	}
	if int(defOff) == r.off { // the definition is inline: step over it
		r.take(4 + 16)
		r.take(int(r.u32()))
	}
	values, err := substitutionValues(r, depth)
	if err != nil {
		return nil, err
	}
	return build(tpl.ops, values)
}

// template returns the template defined at off, parsing it the first time.
func (c *chunkCtx) template(off uint32, depth int) (*template, error) {
	if t, ok := c.templates[off]; ok {
		return t, nil
	}
	head := &cursor{c: c, off: int(off), end: len(c.data)}
	head.take(4 + 16) // next template offset, GUID
	size := int(head.u32())
	if head.err != nil {
		return nil, fmt.Errorf("template at chunk offset %d: %w", off, head.err)
	}
	body := &cursor{c: c, off: head.off, end: min(head.off+size, len(c.data))}
	ops, err := parseStream(body, depth+1)
	if err != nil {
		return nil, fmt.Errorf("template at chunk offset %d: %w", off, err)
	}
	t := &template{ops: ops}
	c.templates[off] = t
	return t, nil
}

// substitutionValues reads an instance's values: their count, sizes and types, then each.
func substitutionValues(r *cursor, depth int) ([]any, error) {
	n := int(r.u32())
	if r.err != nil || n > (r.end-r.off)/4 {
		return nil, fmt.Errorf("template instance with %d values: %w", n, errShort)
	}
	type desc struct {
		size int
		typ  byte
	}
	descs := make([]desc, n)
	for i := range descs {
		descs[i].size = int(r.u16())
		descs[i].typ = r.u8()
		r.u8()
	}
	values := make([]any, n)
	for i, d := range descs {
		start := r.off
		b := r.take(d.size)
		if r.err != nil {
			return nil, fmt.Errorf("value %d of a template instance: %w", i, r.err)
		}
		if d.typ == 0x21 { // BinXml: a tree, whose names are chunk offsets
			sub := &cursor{c: r.c, off: start, end: start + d.size}
			ops, err := parseStream(sub, depth+1)
			if err != nil {
				return nil, err
			}
			if values[i], err = build(ops, nil); err != nil {
				return nil, err
			}
			continue
		}
		values[i] = decodeValue(d.typ, b)
	}
	return values, nil
}

// build makes the tree of ops, with values for their substitutions.
func build(ops []op, values []any) (fragment, error) {
	b := &builder{}
	b.stack = []*node{&b.root}
	for _, o := range ops {
		switch o.kind {
		case opOpen:
			n := &node{name: o.name}
			b.top().kids = append(b.top().kids, n)
			b.stack = append(b.stack, n)
			b.inAttr = false
		case opCloseStart:
			b.inAttr = false
		case opClose:
			if len(b.stack) == 1 {
				return nil, errors.New("binary XML closes an element it did not open")
			}
			b.stack = b.stack[:len(b.stack)-1]
			b.inAttr = false
		case opAttr:
			top := b.top()
			top.attrs = append(top.attrs, attr{name: o.name})
			b.inAttr = true
		case opValue:
			b.add(o.value)
		case opSubst:
			var v any
			if o.id < len(values) {
				v = values[o.id]
			}
			b.add(v)
		}
	}
	return fragment(b.root.kids), nil
}

type builder struct {
	root   node
	stack  []*node
	inAttr bool
}

func (b *builder) top() *node { return b.stack[len(b.stack)-1] }

// add adds a value to the attribute being read or to the element's content.
func (b *builder) add(v any) {
	if v == nil {
		return
	}
	top := b.top()
	if b.inAttr && len(top.attrs) > 0 {
		a := &top.attrs[len(top.attrs)-1]
		if _, isTree := v.(fragment); !isTree {
			a.value = joinValue(a.value, v)
		}
		return
	}
	if f, ok := v.(fragment); ok {
		top.kids = append(top.kids, f...)
		return
	}
	top.kids = append(top.kids, v)
}

// joinValue is v after prev in one attribute: v alone keeps its type, pieces join as text.
func joinValue(prev, v any) any {
	if prev == nil {
		return v
	}
	return textOf(prev) + textOf(v)
}
