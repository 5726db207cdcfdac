package params_test

import (
	"fmt"

	"github.com/stixcel/stixcel/compiler/params"
)

func ExampleInfer() {
	for _, el := range [][2]string{
		{"TimeWindow", "Correlation window between tool exec and SMB fan-out (default 10m)."},
		{"AccessMask", "Set to 0x1F0FFF to detect full memory access attempts; can be scoped down to reduce noise."},
		{"AllowedProcesses", "Known legitimate camera consumers (e.g., Teams.exe, zoom.exe, obs64.exe) to suppress."},
		{"EnterpriseExceptionList", "Known enterprise proxies, relays, developer tooling, and security products may legitimately use uncommon ports."},
	} {
		got := params.Infer(el[0], el[1])
		fmt.Printf("%s: %s = %v\n  %s\n", el[0], got.Type, got.Value, got.Why)
	}
	// Output:
	// TimeWindow: duration = 10m
	//   name ends in Window → duration; "default 10m" → 10m
	// AccessMask: int = 2035711
	//   name ends in Mask → int; "Set to 0x1F0FFF" → 2035711 (0x1F0FFF)
	// AllowedProcesses: list(string) = [Teams.exe zoom.exe obs64.exe]
	//   name ends in plural Processes → list(string); "e.g., Teams.exe, zoom.exe, obs64.exe" → 3 items
	// EnterpriseExceptionList: list(string) = <nil>
	//   name ends in List → list(string); no value stated
}
