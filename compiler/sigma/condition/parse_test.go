package condition

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseCase is a condition, the search identifiers its rule defines, and what parsing it
// gives: the tree printed, or the error.
type parseCase struct {
	name  string
	src   string
	names []string
	want  string
}

func TestParseTree(t *testing.T) {
	abc := []string{"a", "b", "c"}
	tests := []parseCase{
		{"identifier", "a", abc, "a"},
		{"and binds tighter than or, right", "a or b and c", abc, "(a or (b and c))"},
		{"and binds tighter than or, left", "a and b or c", abc, "((a and b) or c)"},
		{"not binds tighter than and", "not a and b", abc, "(not a and b)"},
		{"not binds tighter than or", "not a or b", abc, "(not a or b)"},
		{"not over parentheses", "not (a or b)", abc, "not (a or b)"},
		{"double not", "not not a", abc, "not not a"},
		{"and chain is one node", "a and b and c", abc, "(a and b and c)"},
		{"or chain is one node", "a or b or c", abc, "(a or b or c)"},
		{"parentheses keep their grouping", "(a and b) and c", abc, "((a and b) and c)"},
		{"parentheses override precedence", "a and (b or c)", abc, "(a and (b or c))"},
		{"redundant parentheses vanish", "((a))", abc, "a"},
		{"1 of prefix pattern in declared order", "1 of sel*", []string{"sel_b", "filter", "sel_a"}, "1 of sel*[sel_b sel_a]"},
		{"all of pattern", "all of sel*", []string{"sel1", "sel2", "x"}, "all of sel*[sel1 sel2]"},
		{"wildcard in the middle", "1 of filter_*_x", []string{"filter_a_x", "filter_b_y", "filter__x"}, "1 of filter_*_x[filter_a_x filter__x]"},
		{"leading wildcard", "1 of *_main", []string{"filter_main", "main", "x_main_y"}, "1 of *_main[filter_main]"},
		{"two wildcards", "1 of *sel*", []string{"a_sel_b", "sel", "other"}, "1 of *sel*[a_sel_b sel]"},
		{"pattern without wildcard is the name", "1 of selection", []string{"selection", "selection2"}, "1 of selection[selection]"},
		{"them leaves out underscore names", "1 of them", []string{"a", "_hidden", "b"}, "1 of them[a b]"},
		{"wildcard leaves out underscore names", "1 of *", []string{"_x", "y"}, "1 of *[y]"},
		{"underscore pattern reaches underscore names", "all of _f*", []string{"_f1", "f2", "_f3"}, "all of _f*[_f1 _f3]"},
		{"not over 1 of", "sel and not 1 of filter*", []string{"sel", "filter1", "filter2"}, "(sel and not 1 of filter*[filter1 filter2])"},
		{"1 of binds tighter than and", "1 of sel* and b", []string{"sel1", "b"}, "(1 of sel*[sel1] and b)"},
		{"multi-line condition", "sel and\n  (\n    1 of f*\n  )", []string{"sel", "f1"}, "(sel and 1 of f*[f1])"},
		{"hyphen and dot in names", "sel-1 or sel.2", []string{"sel-1", "sel.2"}, "(sel-1 or sel.2)"},
		{"them and all are identifiers elsewhere", "all and them", []string{"all", "them"}, "(all and them)"},
		{"deepest nesting allowed", strings.Repeat("(not ", MaxDepth/2) + "a" + strings.Repeat(")", MaxDepth/2), abc,
			strings.Repeat("not ", MaxDepth/2) + "a"},
		{"no space needed around parentheses", "a and(b or c)", abc, "(a and (b or c))"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Parse(tc.src, tc.names)
			require.NoError(t, err)
			assert.Equal(t, tc.want, n.String(), "Parse(%q)", tc.src)
		})
	}
}

func TestEvalSemantics(t *testing.T) {
	names := []string{"a", "b", "c"}
	tests := []struct {
		src  string
		want func(a, b, c bool) bool
	}{
		{"a or b and c", func(a, b, c bool) bool { return a || (b && c) }},
		{"a and b or c", func(a, b, c bool) bool { return (a && b) || c }},
		{"not a and b", func(a, b, c bool) bool { return !a && b }},
		{"not a or b", func(a, b, c bool) bool { return !a || b }},
		{"not (a or b) and c", func(a, b, c bool) bool { return !(a || b) && c }},
		{"1 of them", func(a, b, c bool) bool { return a || b || c }},
		{"all of them", func(a, b, c bool) bool { return a && b && c }},
		{"not 1 of them", func(a, b, c bool) bool { return !(a || b || c) }},
		{"not all of them", func(a, b, c bool) bool { return !(a && b && c) }},
		{"a and not 1 of *", func(a, b, c bool) bool { return a && !(a || b || c) }},
		{"1 of them and c", func(a, b, c bool) bool { return (a || b || c) && c }},
		{"not not a", func(a, b, c bool) bool { return a }},
	}
	for _, tc := range tests {
		n, err := Parse(tc.src, names)
		require.NoError(t, err, tc.src)
		for i := 0; i < 8; i++ {
			a, b, c := i&1 != 0, i&2 != 0, i&4 != 0
			got := Eval(n, func(name string) bool { return map[string]bool{"a": a, "b": b, "c": c}[name] })
			assert.Equal(t, tc.want(a, b, c), got, "Eval(%q) with a=%v b=%v c=%v", tc.src, a, b, c)
		}
	}
}

func TestEvalQuantifierOverUnderscores(t *testing.T) {
	n, err := Parse("1 of them", []string{"sel", "_filter"})
	require.NoError(t, err)
	assert.False(t, Eval(n, func(name string) bool { return name == "_filter" }),
		"an identifier beginning with _ must not make `1 of them` hold")
}

func TestParseErrors(t *testing.T) {
	abc := []string{"a", "b", "c"}
	tests := []parseCase{
		{"empty", "  ", abc, "1:3: the condition is empty"},
		{"unknown identifier", "a and d", abc, `1:7: unknown search identifier "d": the detection defines a, b, c`},
		{"every unknown identifier", "x or y", abc, "1:1: unknown search identifier \"x\": the detection defines a, b, c\n" +
			"1:6: unknown search identifier \"y\": the detection defines a, b, c"},
		{"unknown on a later line", "a and\n   zz", abc, `2:4: unknown search identifier "zz": the detection defines a, b, c`},
		{"columns count code points", "é and zz", []string{"é"}, `1:7: unknown search identifier "zz": the detection defines é`},
		{"long name list is capped", "zz", []string{"n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10"},
			`1:1: unknown search identifier "zz": the detection defines n1, n2, n3, n4, n5, n6, n7, n8 and 2 more`},
		{"no identifiers", "a", nil, `1:1: unknown search identifier "a": the detection defines none`},
		{"pattern matches nothing", "a and 1 of filter_*", abc, "1:12: `1 of filter_*` matches no search identifier: the detection defines a, b, c"},
		{"them matches only underscores", "all of them", []string{"_a"},
			"1:8: `all of them` matches no search identifier (identifiers beginning with _ are left out unless the pattern begins with _): the detection defines _a"},
		{"dangling and", "a and", abc, "1:6: expected a search identifier, `not`, `1 of`, `all of` or `(` after `and`, found the end of the condition"},
		{"dangling or before paren", "a or )", abc, "1:6: expected a search identifier, `not`, `1 of`, `all of` or `(` after `or`, found \")\""},
		{"dangling not", "a and not", abc, "1:10: expected a search identifier, `not`, `1 of`, `all of` or `(` after `not`, found the end of the condition"},
		{"leading operator", "and a", abc, "1:1: expected a search identifier, `not`, `1 of`, `all of` or `(`, found \"and\""},
		{"doubled operator", "a and or b", abc, "1:7: expected a search identifier, `not`, `1 of`, `all of` or `(` after `and`, found \"or\""},
		{"unclosed parenthesis", "a and (b or c", abc, "1:7: this ( is never closed"},
		{"extra closing parenthesis", "a and b)", abc, "1:8: unexpected `)`: there is no ( to close"},
		{"empty parentheses", "a and ()", abc, "1:8: expected a search identifier, `not`, `1 of`, `all of` or `(`, found \")\""},
		{"missing operator", "a b", abc, "1:3: expected `and`, `or` or the end of the condition, found \"b\""},
		{"missing operator in parentheses", "(a b)", abc, "1:4: expected `and`, `or` or `)`, found \"b\""},
		{"uppercase operator", "a AND b", abc, "1:3: unexpected \"AND\": Sigma's operators are lowercase (write `and`)"},
		{"uppercase not", "NOT a", abc, "1:1: unknown search identifier \"NOT\" (Sigma's operators are lowercase: `not`): the detection defines a, b, c\n" +
			"1:5: expected `and`, `or` or the end of the condition, found \"a\""},
		{"uppercase quantifier", "All of them", abc, "1:1: `All of`: Sigma's keywords are lowercase (write `all of`)"},
		{"any of", "any of them", abc, "1:1: `any of` is not in the Sigma specification: write `1 of`"},
		{"2 of", "a or 2 of them", abc, "1:6: `2 of` is not in the Sigma specification, which has only `1 of` and `all of`"},
		{"word before of", "some of them", abc, "1:1: expected `1` or `all` before `of`, found \"some\""},
		{"of without target", "1 of", abc, "1:5: expected `them` or a search-identifier pattern after `of`, found the end of the condition"},
		{"of with operator target", "1 of and", abc, "1:6: expected `them` or a search-identifier pattern after `of`, found \"and\""},
		{"pattern without quantifier", "sel*", abc, "1:1: the pattern \"sel*\" needs `1 of` or `all of` before it"},
		{"them outside a quantifier", "them", abc, "1:1: unknown search identifier \"them\" (`them` stands for the search identifiers only after `1 of` or `all of`): the detection defines a, b, c"},
		{"v1 aggregation", "a | count() > 5", abc, "1:3: `|` begins a Sigma v1 aggregation (such as `| count() > 5`), which Sigma v2 removed: write a correlation rule instead"},
		{"v1 aggregation after a quantifier", "1 of them | count(x) by y > 2", abc, "1:11: `|` begins a Sigma v1 aggregation (such as `| count() > 5`), which Sigma v2 removed: write a correlation rule instead"},
		{"unknown character", "a && b", abc, "1:3: unexpected character \"&\""},
		{"unknown character first", "!a", abc, "1:1: unexpected character \"!\""},
		{"question mark wildcard", "1 of sel?", []string{"sel"}, "1:9: unexpected character \"?\": condition patterns have only the `*` wildcard"},
		{"parentheses nested too deep", strings.Repeat("(", MaxDepth+1) + "a" + strings.Repeat(")", MaxDepth+1), abc,
			fmt.Sprintf("1:%d: the condition nests deeper than %d levels", MaxDepth+1, MaxDepth)},
		{"nots nested too deep", strings.Repeat("not ", MaxDepth+1) + "a", abc,
			fmt.Sprintf("1:%d: the condition nests deeper than %d levels", 4*MaxDepth+1, MaxDepth)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Parse(tc.src, tc.names)
			require.Error(t, err, "Parse(%q) = %v", tc.src, n)
			assert.Nil(t, n)
			var errs Errors
			require.ErrorAs(t, err, &errs)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestParseList(t *testing.T) {
	names := []string{"a", "b", "c"}
	n, err := ParseList([]string{"a and b", "c"}, names)
	require.NoError(t, err)
	assert.Equal(t, "((a and b) or c)", n.String())
	assert.True(t, Eval(n, func(name string) bool { return name == "c" }))

	n, err = ParseList([]string{"not a"}, names)
	require.NoError(t, err)
	assert.Equal(t, "not a", n.String(), "a list of one is that condition")

	_, err = ParseList([]string{"a", "b and", "zz"}, names)
	require.Error(t, err)
	var errs Errors
	require.ErrorAs(t, err, &errs)
	require.Len(t, errs, 2, "every item's problems are reported")
	assert.Equal(t, Position{Item: 1, Offset: 5, Line: 1, Col: 6}, errs[0].At)
	assert.Equal(t, Position{Item: 2, Offset: 0, Line: 1, Col: 1}, errs[1].At)
	assert.Equal(t, "condition[2] 1:1: unknown search identifier \"zz\": the detection defines a, b, c", errs[1].Error())

	_, err = ParseList(nil, names)
	assert.EqualError(t, err, "1:1: the condition list is empty")
}

func TestNodePositions(t *testing.T) {
	n, err := Parse("sel and\n  not (1 of f* or é)", []string{"sel", "f1", "é"})
	require.NoError(t, err)
	and := n.(*And)
	assert.Equal(t, Position{Line: 1, Col: 1}, and.Pos())
	not := and.Terms[1].(*Not)
	assert.Equal(t, Position{Offset: 10, Line: 2, Col: 3}, not.Pos())
	or := not.X.(*Or)
	of := or.Terms[0].(*Of)
	assert.Equal(t, Position{Offset: 15, Line: 2, Col: 8}, of.Pos())
	assert.Equal(t, Position{Offset: 15, Line: 2, Col: 8}, or.Pos(), "a chain starts at its first term")
	assert.Equal(t, Position{Offset: 26, Line: 2, Col: 19}, or.Terms[1].Pos())
}

func TestRefs(t *testing.T) {
	n, err := Parse("b and 1 of s* and not (b or a)", []string{"a", "b", "s1", "s2"})
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "s1", "s2", "a"}, Refs(n))
}

func TestMatchWildcard(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"a*", "a", true},
		{"a*", "ab", true},
		{"a*", "ba", false},
		{"*a", "ba", true},
		{"*a", "ab", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "acb", false},
		{"ab*ba", "aba", false},
		{"**", "", true},
		{"x", "x", true},
		{"x", "xx", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, matchWildcard(tc.pattern, tc.name), "matchWildcard(%q, %q)", tc.pattern, tc.name)
	}
}
