package tester_test

import (
	"context"
	"fmt"
	"os"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/tester"
)

// Run the built-in pack's tests against the embedded seed bundle, as `stixcel test` does
// with no arguments.
func Example() {
	ix, _, err := attack.Load([]attack.Source{{Name: stixcel.SeedBundleName, Data: stixcel.SeedBundle()}}, attack.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	packs := []*tester.Pack{tester.LoadFS(stixcel.BuiltinPack(), stixcel.BuiltinPackRoot)}
	sum, err := tester.Test(context.Background(), ix, packs, tester.Options{}, &tester.Pretty{Output: os.Stdout})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("ok:", sum.OK())
	// Output:
	// PASS: 5/5
	// ok: true
}
