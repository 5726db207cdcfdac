package channel_test

import (
	"fmt"

	"github.com/stixcel/stixcel/compiler/channel"
)

func ExampleDerive() {
	tax := channel.DefaultTaxonomy()
	for _, ref := range []struct{ logSource, channel string }{
		{"WinEventLog:Security", "EventCode=4663, 4670, 4656"},
		{"auditd:SYSCALL", "execve: Execution of CLI tools like psql, mysql, mongo, sqlite3"},
		{"MobileEDR:telemetry", "DeviceLockState=locked during outbound session using non-standard protocol-to-port pairing"},
		{"auditd:SYSCALL", "chattr, rm, shred, dd run on recovery directories or partitions"},
	} {
		sel := channel.Derive(tax, ref.logSource, ref.channel)
		if sel.Derived() {
			fmt.Println(sel.CEL)
		} else {
			fmt.Println("none:", sel.Reason)
		}
	}
	// Output:
	// has(event.EventCode) && event.EventCode in [4663, 4670, 4656]
	// has(event.syscall) && event.syscall == "execve"
	// has(event.DeviceLockState) && event.DeviceLockState == "locked"
	// none: command: "chattr, rm, shred, dd" names commands, not syscall values
}
