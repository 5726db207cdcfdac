package celenv

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	exprpb "google.golang.org/genproto/googleapis/api/expr/v1alpha1"
	"google.golang.org/protobuf/proto"

	"github.com/stixcel/stixcel/plan"
)

// Parsed forms: a channel expression as cel-go parsed it, in CEL's own serialized form
// (cel-spec's ParsedExpr, protocol buffers), which a plan artifact carries so that loading
// it skips the parser, most of the engine's start-up (see docs/artifact.md); the runtime
// still type-checks it against its own environment, so a form never holds more than an
// expression written by hand could. A form is only as good as its key: the digest of the
// environment and text it was made from (ExprDigest), and the fingerprint of stixcel's CEL
// parser and declarations (Fingerprint). A text edited by hand no longer matches its digest
// and is compiled from its text.

// parsedFormat is the version of what EncodeParsed writes; a change to it changes
// Fingerprint, so that older forms are compiled from their text again.
const parsedFormat = "stixcel.parsed/1"

// ChannelEnvKey is the key of a channel expression's environment, ChannelEnv(params): the
// parameters' names and types.
func ChannelEnvKey(params []*plan.Param) string { return "channel\x00" + ParamsKey(params) }

// ConditionEnvKey is the key of a condition's environment, ConditionEnv(params, ids).
func ConditionEnvKey(params []*plan.Param, ids []string) string {
	return "condition\x00" + ParamsKey(params) + "\x00" + strings.Join(ids, ",")
}

// ParamsKey lists parameter names and types, sorted: what an environment declares of them.
func ParamsKey(params []*plan.Param) string {
	parts := make([]string, 0, len(params))
	for _, p := range params {
		if p != nil {
			parts = append(parts, p.Name+":"+strings.TrimSpace(p.Type.String()))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ";")
}

// ExprDigest is the digest that keys the parsed form of text in the environment of envKey.
func ExprDigest(envKey, text string) string {
	h := sha256.New()
	h.Write([]byte(envKey))
	h.Write([]byte{0})
	h.Write([]byte(text))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Fingerprint is a digest of what the parsed forms and their cost verdicts depend on
// besides their text: the functions, overloads and variables of a channel environment (its
// macros among them), and parsedFormat. Forms written under another fingerprint (another
// stixcel, whose CEL environment differs) are not used.
func Fingerprint() string { return fingerprint() }

var fingerprint = sync.OnceValue(func() string {
	env, err := ChannelEnv(nil)
	if err != nil {
		return ""
	}
	var lines []string
	for name, fn := range env.Functions() {
		for _, o := range fn.OverloadDecls() {
			args := make([]string, 0, len(o.ArgTypes()))
			for _, t := range o.ArgTypes() {
				args = append(args, t.String())
			}
			lines = append(lines, fmt.Sprintf("fn %s %s(%s) %s member=%t", name, o.ID(), strings.Join(args, ","), o.ResultType(), o.IsMemberFunction()))
		}
	}
	for _, v := range env.Variables() {
		lines = append(lines, "var "+v.Name()+" "+v.Type().String())
	}
	sort.Strings(lines)
	h := sha256.New()
	h.Write([]byte(parsedFormat))
	for _, l := range lines {
		h.Write([]byte{'\n'})
		h.Write([]byte(l))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
})

// EncodeParsed is the serialized form of a parsed expression, deterministic (the same
// expression gives the same bytes). Source positions and macro calls are left out: checking
// and evaluation do not read them, and they are most of the size.
func EncodeParsed(parsed *cel.Ast) ([]byte, error) {
	pe, err := cel.AstToParsedExpr(parsed)
	if err != nil {
		return nil, err
	}
	if si := pe.GetSourceInfo(); si != nil {
		pe.SourceInfo = &exprpb.SourceInfo{SyntaxVersion: si.GetSyntaxVersion(), Location: si.GetLocation()}
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(pe)
}

// DecodeParsed is the parsed expression of a form, for the checker. A form that does not
// decode, or decodes into something no parser gives, is an error (never a panic), so that
// its text can be compiled instead.
func DecodeParsed(b []byte) (parsed *cel.Ast, err error) {
	var pe exprpb.ParsedExpr
	if err := proto.Unmarshal(b, &pe); err != nil {
		return nil, fmt.Errorf("parsed form: %w", err)
	}
	if pe.GetExpr() == nil {
		return nil, errors.New("parsed form: no expression")
	}
	defer func() {
		if r := recover(); r != nil {
			parsed, err = nil, fmt.Errorf("parsed form: %v", r)
		}
	}()
	return cel.ParsedExprToAst(&pe), nil
}

// CheckKeepsTree reports whether type-checking the parsed expression in a channel
// environment leaves its tree as it is, node for node (kinds, ids, names, literals), so that
// what is read from the tree (the runtime's routes, needs, field slots and specializer) is
// the same read before the check as after, and whether each of its calls has the arity of
// an overload of its function, as the checker would require before anything reads the
// tree. cel-go's checker rewrites a node only to resolve a name: an identifier to its
// qualified or disambiguated name, a selection or a member call on a qualified name to a
// variable or a namespaced function, a global call to its function's qualified name, a
// message literal's type name. So the tree is kept when every identifier is `event`
// (declared, unqualified, not a comprehension variable: the expression has no
// comprehension), there is no message literal, and every global call names a declared
// function as declared (no function of a channel environment is named `event.…`:
// TestCheckKeepsTree).
func CheckKeepsTree(expr celast.Expr) bool {
	arities := channelArities()
	keeps := arities != nil
	celast.PreOrderVisit(expr, celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.IdentKind:
			keeps = keeps && e.AsIdent() == "event"
		case celast.CallKind:
			call := e.AsCall()
			n := len(call.Args())
			if call.IsMemberFunction() {
				n++
			}
			keeps = keeps && arities[arity{call.FunctionName(), call.IsMemberFunction(), n}]
		case celast.LiteralKind, celast.ListKind, celast.MapKind, celast.SelectKind:
		default: // comprehensions, message literals, nodes no parser gives
			keeps = false
		}
	}))
	return keeps
}

// arity is a function's name, whether it is called as a member (its receiver counted in
// args), and its number of arguments.
type arity struct {
	name   string
	member bool
	args   int
}

// channelArities are the arities of the overloads of a channel environment's functions
// (the same for every parameter list: parameters declare no function); nil when the
// environment cannot be built.
var channelArities = sync.OnceValue(func() map[arity]bool {
	env, err := ChannelEnv(nil)
	if err != nil {
		return nil
	}
	out := map[arity]bool{}
	for name, fn := range env.Functions() {
		for _, o := range fn.OverloadDecls() {
			out[arity{name, o.IsMemberFunction(), len(o.ArgTypes())}] = true
		}
	}
	return out
})
