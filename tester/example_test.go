package tester_test

import (
	"context"
	"fmt"
	"os"
	"regexp"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/tester"
)

// Run the built-in pack's AN1828 tests against the embedded seed bundle, as
// `stixcel test --run '^AN1828/'` does.
func Example() {
	loaded, err := stixcel.Inputs{}.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	opts := tester.Options{Run: regexp.MustCompile("^AN1828/")}
	sum, err := tester.Test(context.Background(), loaded.Index, loaded.AllPacks(), opts, &tester.Pretty{Output: os.Stdout})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("ok:", sum.OK())
	// Output:
	// PASS: 6/6
	// ok: true
}

// The seed bundle has AN1828 only: the cases of the other analytics are skipped, and the
// run is still OK.
func Example_skipped() {
	loaded, err := stixcel.Inputs{Packs: []string{"testdata/mixed"}, NoBuiltin: true}.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	sum, err := tester.Test(context.Background(), loaded.Index, loaded.AllPacks(), tester.Options{}, &tester.Pretty{Output: os.Stdout})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("ok:", sum.OK())
	// Output:
	// PASS: 1/4
	// SKIP: 3/4 (analytics not in the loaded bundles: AN0235, AN1030; pass --bundle)
	// ok: true
}
