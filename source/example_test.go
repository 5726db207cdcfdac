package source_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/source"
)

func Example() {
	p, err := source.Builtin("windows")
	if err != nil {
		panic(err)
	}
	raw := `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":10,"TimeCreated":"2020-10-18 07:50:06.220","Hostname":"WORKSTATION5","TargetImage":"C:\\Windows\\system32\\lsass.exe","GrantedAccess":"0x1010"}
{"EventID":4624,"TimeCreated":"2020-10-18 07:50:07"}
`
	r := event.NewReader(strings.NewReader(raw), "sysmon.jsonl", source.NewDecoder(p))
	for {
		ev, rej, err := r.Next()
		if err == io.EOF {
			break
		}
		if rej != nil {
			fmt.Println(rej)
			continue
		}
		fields := ev.Map()
		fmt.Println(ev.Time, ev.LogSource, fields["EventCode"], fields["host"], fields["GrantedAccess"])
	}
	st := r.Stats()
	fmt.Printf("read %d, processed %d, rejected %d\n", st.Read, st.Processed, st.RejectedTotal())
	// Output:
	// 2020-10-18 07:50:06.22 +0000 UTC WinEventLog:Sysmon 10 WORKSTATION5 0x1010
	// sysmon.jsonl:2: missing log_source: no such key: Channel; no such key: winlog; no such key: Event
	// read 2, processed 1, rejected 1
}
