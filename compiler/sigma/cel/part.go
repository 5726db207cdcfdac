package sigmacel

import "strings"

// part is a compiled boolean expression; konst is set when it is the constant true or false,
// so that constants fold away as the tree is built, and op is the operator joining its top
// level ("" for an operand that needs no parentheses), so that chains flatten.
type part struct {
	text  string
	konst *bool
	op    string
}

var (
	yes = true
	no  = false
)

func constant(b bool) part {
	if b {
		return part{text: "true", konst: &yes}
	}
	return part{text: "false", konst: &no}
}

func atom(text string) part { return part{text: text} }

func (p part) isConst(b bool) bool { return p.konst != nil && *p.konst == b }

// operand is p's text as an operand of op.
func (p part) operand(op string) string {
	if p.op == "" || p.op == op {
		return p.text
	}
	return "(" + p.text + ")"
}

func not(p part) part {
	if p.konst != nil {
		return constant(!*p.konst)
	}
	return atom("!" + p.operand("!"))
}

func and(ps ...part) part { return join("&&", false, ps) }

func or(ps ...part) part { return join("||", true, ps) }

// join links ps with op; absorbing is the constant that decides op (true for ||), the other
// is its identity.
func join(op string, absorbing bool, ps []part) part {
	var kept []part
	for _, p := range ps {
		switch {
		case p.isConst(absorbing):
			return constant(absorbing)
		case p.isConst(!absorbing):
			continue
		}
		kept = append(kept, p)
	}
	switch len(kept) {
	case 0:
		return constant(!absorbing)
	case 1:
		return kept[0]
	}
	texts := make([]string, len(kept))
	for i, p := range kept {
		texts[i] = p.operand(op)
	}
	return part{text: strings.Join(texts, " "+op+" "), op: op}
}
