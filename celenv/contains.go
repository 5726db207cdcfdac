package celenv

import (
	"hash/maphash"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// ContainsAnyOverload is the overload id of `s.containsAny(['a', 'b', ...])`: s contains one
// of the strings, as `s.contains('a') || s.contains('b') || ...` answers, in one pass over s
// (an Aho-Corasick automaton of the list, built once per list). Its cost is one traversal of
// s and of the list, where the ORed form costs one per element: long lists of indicators
// (hashes, package names) fit the cost limit.
const ContainsAnyOverload = "string_contains_any_list"

// containsFunctions declares containsAny; automata are kept per environment, by the list's
// contents.
func containsFunctions() cel.EnvOption {
	cache := &automata{seed: maphash.MakeSeed()}
	return cel.Function("containsAny",
		cel.MemberOverload(ContainsAnyOverload, []*cel.Type{cel.StringType, cel.ListType(cel.StringType)}, cel.BoolType,
			cel.BinaryBinding(func(s, list ref.Val) ref.Val { return containsAny(cache, s, list) })))
}

func containsAny(cache *automata, s, list ref.Val) ref.Val {
	str, ok := s.(types.String)
	if !ok {
		return types.NewErr("containsAny: not a string")
	}
	if _, ok := list.(traits.Lister); !ok {
		return types.NewErr("containsAny: not a list")
	}
	words, ok := ContainsAnyWords(list)
	if !ok {
		return types.NewErr("containsAny: list element is not a string")
	}
	return types.Bool(cache.get(words).in(string(str)))
}

// ContainsAnyWords are the words of containsAny's list argument; ok is false when it is not
// a list or holds an element that is not a string (containsAny's errors).
func ContainsAnyWords(list ref.Val) (words []string, ok bool) {
	lister, ok := list.(traits.Lister)
	if !ok {
		return nil, false
	}
	for it := lister.Iterator(); it.HasNext() == types.True; {
		w, ok := it.Next().(types.String)
		if !ok {
			return nil, false
		}
		words = append(words, string(w))
	}
	return words, true
}

// automata caches built automata by a hash of their words, colliding lists each kept; reads
// take no lock (any worker evaluates), and past maxPatterns lists automata are built on each
// call.
type automata struct {
	seed  maphash.Seed
	built sync.Map // uint64: []*automaton
	n     atomic.Int64
}

func (c *automata) get(words []string) *automaton {
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, w := range words {
		h.WriteString(w)
		h.WriteByte(0)
	}
	key := h.Sum64()
	if found, ok := c.built.Load(key); ok {
		for _, a := range found.([]*automaton) {
			if slices.Equal(a.words, words) {
				return a
			}
		}
	}
	a := newAutomaton(words)
	if c.n.Add(1) <= maxPatterns {
		var kept []*automaton
		if found, ok := c.built.Load(key); ok {
			kept = found.([]*automaton)
		}
		c.built.Store(key, append(slices.Clip(kept), a))
	}
	return a
}

// automaton is an Aho-Corasick automaton over bytes: edges maps state<<8|byte to the next
// state along the words' trie, fail is each state's longest proper suffix that is a trie
// state, final says a word ends at the state or at one of its suffixes.
type automaton struct {
	words []string
	edges map[int32]int32
	fail  []int32
	final []bool
}

func newAutomaton(words []string) *automaton {
	a := &automaton{words: words, edges: map[int32]int32{}, fail: []int32{0}, final: []bool{false}}
	children := [][]int32{nil}
	for _, w := range words {
		state := int32(0)
		for i := 0; i < len(w); i++ {
			key := state<<8 | int32(w[i])
			next, ok := a.edges[key]
			if !ok {
				next = int32(len(a.fail))
				a.edges[key] = next
				a.fail = append(a.fail, 0)
				a.final = append(a.final, false)
				children = append(children, nil)
				children[state] = append(children[state], int32(w[i])<<24|next)
			}
			state = next
		}
		a.final[state] = true
	}
	a.link(children)
	return a
}

// link sets the failure states breadth first; children lists each state's byte<<24|child.
func (a *automaton) link(children [][]int32) {
	queue := []int32{0}
	for len(queue) > 0 {
		state := queue[0]
		queue = queue[1:]
		for _, bc := range children[state] {
			b, child := bc>>24&0xff, bc&0xffffff
			if state != 0 {
				a.fail[child] = a.step(a.fail[state], b)
			}
			a.final[child] = a.final[child] || a.final[a.fail[child]]
			queue = append(queue, child)
		}
	}
}

// step is the state after reading byte b in state.
func (a *automaton) step(state, b int32) int32 {
	for {
		if next, ok := a.edges[state<<8|b]; ok {
			return next
		}
		if state == 0 {
			return 0
		}
		state = a.fail[state]
	}
}

// in reports whether s contains one of the words (the empty word is in every string).
func (a *automaton) in(s string) bool {
	state := int32(0)
	if a.final[0] {
		return true
	}
	for i := 0; i < len(s); i++ {
		state = a.step(state, int32(s[i]))
		if a.final[state] {
			return true
		}
	}
	return false
}

// containsAnyCost estimates containsAny as one traversal of the string and one of the list's
// text (cel-go's traversal factor 0.1 each), whatever the list's length.
func containsAnyCost(stringSize uint64, target *checker.AstNode, args []checker.AstNode) *checker.CallEstimate {
	size := float64(stringSize)
	if target != nil {
		if sz := (*target).ComputedSize(); sz != nil {
			size = float64(sz.Max)
		}
	}
	listText := float64(math.MaxUint64)
	if len(args) == 1 {
		listText = listTextSize(args[0])
	}
	cost := math.Ceil(0.1*size + 0.1*listText + 1)
	if cost >= math.MaxUint64 {
		return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: math.MaxUint64}}
	}
	return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: uint64(cost)}}
}

// listTextSize is the length of a list literal's strings together; unknown (the most) for
// any other list.
func listTextSize(list checker.AstNode) float64 {
	e := list.Expr()
	if e.Kind() != ast.ListKind {
		return math.MaxUint64
	}
	var n float64
	for _, el := range e.AsList().Elements() {
		if el.Kind() != ast.LiteralKind {
			return math.MaxUint64
		}
		str, ok := el.AsLiteral().(types.String)
		if !ok {
			return math.MaxUint64
		}
		n += float64(len(str))
	}
	return n
}
