package pack_test

import (
	"fmt"

	"github.com/google/cel-go/cel"

	"github.com/stixcel/stixcel/pack"
)

// A cel-go error inside a block scalar is reported at its place in the YAML file.
func ExampleString_PosAt() {
	src := "analytic: AN1828\ncondition: |\n  c1 &&\n    nope\n"
	b, diags := pack.ParseBinding("analytics/mobile/AN1828.yaml", []byte(src))
	if diags.HasErrors() {
		fmt.Println(diags)
		return
	}
	env, err := cel.NewEnv(cel.Variable("c1", cel.BoolType))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, iss := env.Compile(b.Condition.Value)
	for _, e := range iss.Errors() {
		fmt.Printf("%s: %s\n", b.Condition.PosAt(e.Location.Line(), e.Location.Column()+1), e.Message)
	}
	// Output: analytics/mobile/AN1828.yaml:4:5: undeclared reference to 'nope' (in container '')
}

func ExampleParseBinding() {
	src := "analytic: AN1828\ncondtion: c1\n"
	_, diags := pack.ParseBinding("AN1828.yaml", []byte(src))
	fmt.Println(diags)
	// Output: AN1828.yaml:2:1: error: unknown key "condtion" in binding; did you mean "condition"?
}
