package runtime_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

func Example() {
	f, err := os.Open("../testdata/plans/AN1828.plan.json")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	set, err := plan.Read(f)
	if err != nil {
		panic(err)
	}
	eng, err := runtime.New(set)
	if err != nil {
		panic(err)
	}
	events := `{"time":"2026-03-20T09:00:00Z","log_source":"MobileEDR:telemetry","device_id":"ios-1","DeviceLockState":"locked","LastUserInteractionDelta":20,"activity":"user_interaction"}
{"time":"2026-03-20T09:01:00Z","log_source":"VPN:MobileProxy","device_id":"ios-1","app_bundle_id":"com.example.flashlight","dst_host":"c2.example.net","dst_port":4444,"protocol":"tls","service_class":"unknown"}
not json
`
	emit := func(o runtime.Output) {
		if a, ok := o.(*runtime.Alert); ok {
			fmt.Printf("%s %v %d channels, first %s\n", a.Analytic, a.Group, len(a.Channels), a.FirstSeen.Format("15:04:05"))
		}
	}
	r := event.NewReader(strings.NewReader(events), "events.jsonl", nil)
	for {
		ev, rej, err := r.Next()
		if err == io.EOF {
			break
		}
		if rej != nil {
			fmt.Println("rejected:", rej)
			continue
		}
		eng.Process(context.Background(), ev, emit)
	}
	eng.Flush(emit)
	st := r.Stats()
	fmt.Printf("read %d, processed %d, rejected %d\n", st.Read, st.Processed, st.RejectedTotal())
	// Output:
	// rejected: events.jsonl:3: invalid JSON: invalid character 'o' in literal null (expecting 'u') at column 2
	// AN1828 map[device_id:ios-1] 3 channels, first 09:00:00
	// read 3, processed 2, rejected 1
}
