package condition_test

import (
	"fmt"

	"github.com/stixcel/stixcel/compiler/sigma/condition"
)

func Example() {
	names := []string{"selection_img", "selection_cli", "filter_main_system", "filter_optional_av"}
	n, err := condition.Parse("1 of selection_* and not 1 of filter_main_*", names)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n)
	fmt.Println(condition.Eval(n, func(name string) bool { return name == "selection_cli" }))

	_, err = condition.Parse("selection_img | count() > 5", names)
	fmt.Println(err)
	// Output:
	// (1 of selection_*[selection_img selection_cli] and not 1 of filter_main_*[filter_main_system])
	// true
	// 1:15: `|` begins a Sigma v1 aggregation (such as `| count() > 5`), which Sigma v2 removed: write a correlation rule instead
}
