package attack_test

import (
	"fmt"
	"os"

	"github.com/stixcel/stixcel/compiler/attack"
)

func ExampleLoadPaths() {
	ix, warnings, err := attack.LoadPaths([]string{"testdata/release-2.1.json"}, attack.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, w)
	}
	a := ix.Analytic("AN9001")
	fmt.Println(a.ID, a.Name, "in", a.Strategy.ID)
	for _, t := range a.Techniques {
		fmt.Println("detects", t.ID, t.Name, "of", t.Parent.ID, t.Parent.Name)
	}
	for _, ls := range a.LogSources {
		fmt.Printf("%s %q (%s)\n", ls.Name, ls.Channel, ls.DataComponent.ID)
	}
	fmt.Println(ix.Stats)
	// Output:
	// AN9001 Analytic 9001 in DET9001
	// detects T9001.001 LSASS Memory of T9001 OS Credential Dumping
	// WinEventLog:Sysmon "EventCode=10" (DC9001)
	// WinEventLog:Sysmon "EventCode=11" ()
	// 1 file, 9 objects: 2 analytics, 0 revoked or deprecated skipped, 0 duplicates dropped, 0 of other types ignored
}
