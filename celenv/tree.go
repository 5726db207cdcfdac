package celenv

import (
	"math"
	"unicode/utf8"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	exprpb "google.golang.org/genproto/googleapis/api/expr/v1alpha1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// DecodeTree reads the expression tree of a parsed form (EncodeParsed's bytes) straight from
// its encoding, for the runtime to read before the form is checked: several times cheaper
// than DecodeParsed, which unmarshals the protocol buffer messages and then converts them
// (each literal through a marshalled copy). When ok, the tree is DecodeParsed's, node for
// node (TestDecodeTreeIsDecodeParsed); ok is false for anything it does not read exactly
// as DecodeParsed would, or that DecodeParsed refuses: comprehensions and message literals,
// optional list elements, duration and timestamp literals, a field given twice or of
// another wire type, an unknown field, a string that is not UTF-8, an empty node, a tree
// deeper than maxTreeDepth. The caller then takes DecodeParsed's way.
func DecodeTree(b []byte) (expr celast.Expr, ok bool) {
	var exprBytes []byte
	var seen [4]bool
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.BytesType || (num != 2 && num != 3) || seen[num] {
			return nil, false
		}
		seen[num] = true
		v, n2 := protowire.ConsumeBytes(b[n:])
		if n2 < 0 {
			return nil, false
		}
		b = b[n+n2:]
		if num == 2 {
			exprBytes = v
		} else if proto.Unmarshal(v, &exprpb.SourceInfo{}) != nil { // as DecodeParsed checks it
			return nil, false
		}
	}
	if !seen[2] {
		return nil, false
	}
	d := treeDecoder{fac: celast.NewExprFactory()}
	return d.expr(exprBytes, 0)
}

// maxTreeDepth is the deepest tree DecodeTree reads (cel-go refuses to load a tree deeper
// than 250 levels).
const maxTreeDepth = 200

type treeDecoder struct{ fac celast.ExprFactory }

// field is one field of a message: its number, wire type and value (bytes, or a varint or
// fixed64 in num).
type field struct {
	num   protowire.Number
	typ   protowire.Type
	bytes []byte
	val   uint64
}

// fields splits a message into its fields, each at most once (repeated ones: those of
// repeated), or ok false.
func fields(b []byte, repeated protowire.Number, each func(field) bool) bool {
	var seen uint64
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num >= 64 {
			return false
		}
		b = b[n:]
		if num != repeated {
			if seen&(1<<num) != 0 {
				return false
			}
			seen |= 1 << num
		}
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			f.val, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			f.val, n = protowire.ConsumeFixed64(b)
		default:
			return false
		}
		if n < 0 || !each(f) {
			return false
		}
		b = b[n:]
	}
	return true
}

// expr reads an Expr message: id (2, varint) and one kind, of which it reads a literal (3),
// an identifier (4), a selection (5), a call (6), a list (7) and a map (8, without a
// message name).
func (d *treeDecoder) expr(b []byte, depth int) (celast.Expr, bool) {
	if depth > maxTreeDepth {
		return nil, false
	}
	var id int64
	var kind protowire.Number
	var body []byte
	ok := fields(b, 0, func(f field) bool {
		switch {
		case f.num == 2 && f.typ == protowire.VarintType:
			id = int64(f.val)
			return true
		case f.num >= 3 && f.num <= 8 && f.typ == protowire.BytesType && kind == 0:
			kind, body = f.num, f.bytes
			return true
		}
		return false
	})
	if !ok {
		return nil, false
	}
	switch kind {
	case 3:
		return d.literal(id, body)
	case 4:
		return d.ident(id, body)
	case 5:
		return d.selection(id, body, depth)
	case 6:
		return d.call(id, body, depth)
	case 7:
		return d.list(id, body, depth)
	case 8:
		return d.mapLiteral(id, body, depth)
	}
	return nil, false
}

func (d *treeDecoder) literal(id int64, b []byte) (celast.Expr, bool) {
	var val ref.Val
	ok := fields(b, 0, func(f field) bool {
		if val != nil {
			return false // one kind
		}
		switch {
		case f.num == 1 && f.typ == protowire.VarintType:
			val = types.NullValue
		case f.num == 2 && f.typ == protowire.VarintType:
			val = types.Bool(f.val != 0)
		case f.num == 3 && f.typ == protowire.VarintType:
			val = types.Int(int64(f.val))
		case f.num == 4 && f.typ == protowire.VarintType:
			val = types.Uint(f.val)
		case f.num == 5 && f.typ == protowire.Fixed64Type:
			val = types.Double(math.Float64frombits(f.val))
		case f.num == 6 && f.typ == protowire.BytesType && utf8.Valid(f.bytes):
			val = types.String(f.bytes)
		case f.num == 7 && f.typ == protowire.BytesType:
			val = types.Bytes(append([]byte{}, f.bytes...))
		default:
			return false
		}
		return true
	})
	if !ok || val == nil {
		return nil, false
	}
	return d.fac.NewLiteral(id, val), true
}

// ident reads an Ident message: name (1).
func (d *treeDecoder) ident(id int64, b []byte) (celast.Expr, bool) {
	var name string
	ok := fields(b, 0, func(f field) bool {
		if f.num != 1 || f.typ != protowire.BytesType || !utf8.Valid(f.bytes) {
			return false
		}
		name = string(f.bytes)
		return true
	})
	if !ok {
		return nil, false
	}
	return d.fac.NewIdent(id, name), true
}

// selection reads a Select message: operand (1), field (2), test_only (3).
func (d *treeDecoder) selection(id int64, b []byte, depth int) (celast.Expr, bool) {
	var operand celast.Expr
	var name string
	var testOnly bool
	ok := fields(b, 0, func(f field) bool {
		switch {
		case f.num == 1 && f.typ == protowire.BytesType:
			var ok bool
			operand, ok = d.expr(f.bytes, depth+1)
			return ok
		case f.num == 2 && f.typ == protowire.BytesType && utf8.Valid(f.bytes):
			name = string(f.bytes)
			return true
		case f.num == 3 && f.typ == protowire.VarintType:
			testOnly = f.val != 0
			return true
		}
		return false
	})
	if !ok || operand == nil {
		return nil, false
	}
	if testOnly {
		return d.fac.NewPresenceTest(id, operand, name), true
	}
	return d.fac.NewSelect(id, operand, name), true
}

// call reads a Call message: target (1), function (2), args (3, repeated).
func (d *treeDecoder) call(id int64, b []byte, depth int) (celast.Expr, bool) {
	var target celast.Expr
	var function string
	args := []celast.Expr{}
	ok := fields(b, 3, func(f field) bool {
		switch {
		case f.num == 1 && f.typ == protowire.BytesType:
			var ok bool
			target, ok = d.expr(f.bytes, depth+1)
			return ok
		case f.num == 2 && f.typ == protowire.BytesType && utf8.Valid(f.bytes):
			function = string(f.bytes)
			return true
		case f.num == 3 && f.typ == protowire.BytesType:
			arg, ok := d.expr(f.bytes, depth+1)
			args = append(args, arg)
			return ok
		}
		return false
	})
	switch {
	case !ok:
		return nil, false
	case target == nil:
		return d.fac.NewCall(id, function, args...), true
	}
	return d.fac.NewMemberCall(id, function, target, args...), true
}

// list reads a CreateList message: elements (1, repeated); not optional_indices (2).
func (d *treeDecoder) list(id int64, b []byte, depth int) (celast.Expr, bool) {
	elems, ok := repeated(b, 1, func(b []byte) (celast.Expr, bool) { return d.expr(b, depth+1) })
	if !ok {
		return nil, false
	}
	return d.fac.NewList(id, elems, nil), true
}

// mapLiteral reads a CreateStruct message without a message name (1): its entries (2,
// repeated), each an Entry: id (1), map_key (3), value (4), optional_entry (5).
func (d *treeDecoder) mapLiteral(id int64, b []byte, depth int) (celast.Expr, bool) {
	entries, ok := repeated(b, 2, func(b []byte) (celast.EntryExpr, bool) { return d.entry(b, depth+1) })
	if !ok {
		return nil, false
	}
	return d.fac.NewMap(id, entries), true
}

// repeated reads a message whose only field is num, repeated, each a message read by read.
func repeated[T any](b []byte, num protowire.Number, read func([]byte) (T, bool)) ([]T, bool) {
	out := []T{}
	ok := fields(b, num, func(f field) bool {
		if f.num != num || f.typ != protowire.BytesType {
			return false
		}
		x, ok := read(f.bytes)
		out = append(out, x)
		return ok
	})
	return out, ok
}

func (d *treeDecoder) entry(b []byte, depth int) (celast.EntryExpr, bool) {
	var id int64
	var key, value celast.Expr
	var optional bool
	ok := fields(b, 0, func(f field) bool {
		var ok bool
		switch {
		case f.num == 1 && f.typ == protowire.VarintType:
			id, ok = int64(f.val), true
		case f.num == 3 && f.typ == protowire.BytesType:
			key, ok = d.expr(f.bytes, depth+1)
		case f.num == 4 && f.typ == protowire.BytesType:
			value, ok = d.expr(f.bytes, depth+1)
		case f.num == 5 && f.typ == protowire.VarintType:
			optional, ok = f.val != 0, true
		}
		return ok
	})
	if !ok || key == nil || value == nil {
		return nil, false
	}
	return d.fac.NewMapEntry(id, key, value, optional), true
}
