package correlation

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/compiler/sigma/mapping"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// basePlans are hand-made plans of detection rules, as the planner compiles them: failed
// and successful logons (Security, one channel each), process creation on two targets
// (Sysmon and Security, whose events name the image NewProcessName), and web access.
func basePlans() map[string]*Base {
	channel := func(logSource string, code int, pred string) *plan.Channel {
		return &plan.Channel{ID: "c1", LogSource: logSource, Selector: fmt.Sprintf("event.EventCode == %d", code),
			Route: &plan.Route{Field: "EventCode", Values: []any{int64(code)}}, Predicate: pred,
			Origin: plan.OriginBound, Fields: []string{"EventCode"}}
	}
	one := func(id string, ch *plan.Channel) *Base {
		return &Base{Plan: &plan.Plan{ID: id, Name: id, Kind: plan.KindDetection, Channels: []*plan.Channel{ch}}}
	}
	proc := &Base{
		Plan: &plan.Plan{ID: "proc", Name: "proc", Kind: plan.KindDetection, Channels: []*plan.Channel{
			channel("WinEventLog:Sysmon", 1, `event.Image.endsWith("\\whoami.exe")`),
			channel("WinEventLog:Security", 4688, `event.NewProcessName.endsWith("\\whoami.exe")`),
		}},
		Targets: []mapping.Target{{LogSource: "WinEventLog:Sysmon"}, {LogSource: "WinEventLog:Security", Fields: map[string]string{"Image": "NewProcessName"}}},
	}
	proc.Plan.Channels[1].ID = "c2"
	return map[string]*Base{
		"failed_login":     one("failed_login", channel("WinEventLog:Security", 4625, "")),
		"successful_login": one("successful_login", channel("WinEventLog:Security", 4624, "")),
		"recon_whoami":     proc,
		"website_access":   one("website_access", channel("Proxy:web", 1, "")),
	}
}

// decodeOne decodes the single correlation rule of text, failing on any error.
func decodeOne(t testing.TB, text string) *Correlation {
	t.Helper()
	rules, diags := sigma.Decode("mr_test.yml", []byte(text))
	require.False(t, diags.HasErrors(), "%v", diags)
	require.Len(t, rules, 1)
	c, diags := Decode(rules[0])
	require.False(t, diags.HasErrors(), "%v", diags)
	return c
}

// buildSet decodes the correlation of text and builds it over basePlans into a set.
func buildSet(t testing.TB, text string) *plan.Set {
	t.Helper()
	bases := basePlans()
	p, err := Build(decodeOne(t, text), func(ref string) (*Base, bool) { b, ok := bases[ref]; return b, ok })
	require.NoError(t, err)
	p.ID, p.Name = "corr", "correlation"
	return &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{p}}
}

// ev is one test event: seconds after t0, its log source and event code, and fields.
type ev struct {
	at     int
	source string
	code   int
	fields string // JSON members, without braces: `"User":"bob"`
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func (e ev) line() string {
	s := fmt.Sprintf(`{"time":%q,"log_source":%q,"EventCode":%d`, t0.Add(time.Duration(e.at)*time.Second).Format(time.RFC3339), e.source, e.code)
	if e.fields != "" {
		s += "," + e.fields
	}
	return s + "}"
}

const lateness = 2 * time.Minute

// run feeds lines, merged in event time within lateness, to an engine with the given
// workers, and returns each alert as "group first-last c1=n c2=n ...", with its id.
func run(t testing.TB, set *plan.Set, workers int, lines []string) []string {
	t.Helper()
	eng, err := runtime.New(set, runtime.WithWorkers(workers))
	require.NoError(t, err)
	m := event.NewMerger(event.MergeOptions{Lateness: lateness},
		event.NewReader(strings.NewReader(strings.Join(lines, "\n")+"\n"), "events.jsonl", nil))
	var out []string
	emit := func(o runtime.Output) {
		a, ok := o.(*runtime.Alert)
		if !ok {
			return
		}
		s := fmt.Sprintf("%v %s-%s", a.Group, a.FirstSeen.Sub(t0), a.LastSeen.Sub(t0))
		for _, ch := range a.Channels {
			s += fmt.Sprintf(" %s=%d", ch.ID, ch.Count)
		}
		out = append(out, s+" "+a.ID)
	}
	for {
		e, rej, err := m.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.Nil(t, rej)
		require.NoError(t, eng.Process(context.Background(), e, emit))
	}
	eng.Flush(emit)
	return out
}

// withoutIDs drops the alert ids run appends.
func withoutIDs(alerts []string) []string {
	out := make([]string, len(alerts))
	for i, a := range alerts {
		out[i] = a[:strings.LastIndex(a, " ")]
	}
	return out
}

func lines(evs []ev) []string {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at < evs[j].at })
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.line()
	}
	return out
}

// shuffle delays each line by less than the lateness, as rng says, and orders the lines by
// their delayed time: an arrival order the lateness allows.
func shuffle(evs []ev, rng *rand.Rand) []string {
	type arrival struct {
		key  time.Duration
		line string
	}
	var as []arrival
	for _, e := range evs {
		as = append(as, arrival{time.Duration(e.at)*time.Second + time.Duration(rng.Int64N(int64(lateness))), e.line()})
	}
	sort.SliceStable(as, func(i, j int) bool { return as[i].key < as[j].key })
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.line
	}
	return out
}

const (
	failed  = "WinEventLog:Security"
	sysmon  = "WinEventLog:Sysmon"
	proxy   = "Proxy:web"
	bob     = `"User":"bob"`
	alice   = `"User":"alice"`
	whoamiS = `"Image":"C:\\Windows\\System32\\whoami.exe","User":"bob"`
	whoamiW = `"NewProcessName":"C:\\Windows\\System32\\whoami.exe","User":"bob"`
)

func failedAt(at int, fields string) ev  { return ev{at, failed, 4625, fields} }
func successAt(at int, fields string) ev { return ev{at, failed, 4624, fields} }

// typeCases are, per correlation type, a rule and events with the alerts they must give.
var typeCases = []struct {
	name   string
	rule   string
	events []ev
	want   []string
}{
	{
		name: "event_count: 3 failed logons of one user within 1m",
		rule: "title: brute\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n  group-by: [User]\n  timespan: 1m\n  condition: {gte: 3}\n",
		events: []ev{
			failedAt(0, bob), failedAt(10, bob), failedAt(20, alice), failedAt(70, bob), // bob: 3 but 0s and 70s are 70s apart
			failedAt(75, bob), failedAt(80, bob), // bob: 70, 75, 80 in 1m
			failedAt(90, ""), failedAt(91, ""), failedAt(92, ""), // no User: no group
		},
		want: []string{"map[User:bob] 1m10s-1m20s c1=3"},
	},
	{
		name: "value_count: 3 users from one host within 1m, across two rules",
		rule: "title: spray\ncorrelation:\n  type: value_count\n  rules: [failed_login, successful_login]\n  group-by: [Host]\n  timespan: 1m\n  condition: {field: User, gt: 2}\n",
		events: []ev{
			failedAt(0, `"Host":"h1","User":"a"`), failedAt(5, `"Host":"h1","User":"a"`), successAt(6, `"Host":"h1","User":"b"`),
			failedAt(7, `"Host":"h2","User":"c"`), failedAt(8, `"Host":"h1"`), successAt(9, `"Host":"h1","User":"c"`),
		},
		want: []string{"map[Host:h1] 0s-9s c1=2 c2=2"},
	},
	{
		name: "temporal: both rules for one user within 1m, any order; the multi-target rule through its renamed field",
		rule: "title: recon\ncorrelation:\n  type: temporal\n  rules: [successful_login, recon_whoami]\n  group-by: [User]\n  timespan: 1m\n",
		events: []ev{
			{0, sysmon, 1, whoamiS}, successAt(30, bob), // bob: whoami (Sysmon) then logon
			successAt(100, alice), {200, failed, 4688, `"NewProcessName":"C:\\x\\whoami.exe","User":"alice"`}, // alice: 100s apart
		},
		want: []string{"map[User:bob] 0s-30s c1=1 c2=1"},
	},
	{
		name: "temporal with a condition: 2 of 3 rules",
		rule: "title: recon\ncorrelation:\n  type: temporal\n  rules: [failed_login, successful_login, recon_whoami]\n  group-by: [User]\n  timespan: 1m\n  condition: {gte: 2}\n",
		events: []ev{
			failedAt(0, bob), failedAt(1, bob), {2, failed, 4688, whoamiW},
		},
		want: []string{"map[User:bob] 0s-2s c1=2 c4=1"},
	},
	{
		name: "temporal_ordered: failed then successful, not the other way round",
		rule: "title: ordered\ncorrelation:\n  type: temporal_ordered\n  rules: [failed_login, successful_login]\n  group-by: [User]\n  timespan: 1m\n",
		events: []ev{
			successAt(0, alice), failedAt(10, alice), // alice: wrong order
			failedAt(0, bob), successAt(0, bob), // bob: the same second counts as in order
		},
		want: []string{"map[User:bob] 0s-0s c1=1 c2=1"},
	},
	{
		name: "value_sum: more than 1000 bytes per user within 1m",
		rule: "title: exfil\ncorrelation:\n  type: value_sum\n  rules: [website_access]\n  group-by: [User]\n  timespan: 1m\n  condition: {field: bytes_sent, gt: 1000}\n",
		events: []ev{
			{0, proxy, 1, `"User":"bob","bytes_sent":600`},
			{10, proxy, 1, `"User":"bob","bytes_sent":"401"`}, {15, proxy, 1, `"User":"alice","bytes_sent":1000`},
			{20, proxy, 1, `"User":"alice","bytes_sent":"n/a"`},
		},
		want: []string{"map[User:bob] 0s-10s c1=2"},
	},
	{
		name: "value_avg: an average above 500 per user within 1m",
		rule: "title: avg\ncorrelation:\n  type: value_avg\n  rules: [website_access]\n  group-by: [User]\n  timespan: 1m\n  condition: {field: bytes_sent, gt: 500}\n",
		events: []ev{
			{0, proxy, 1, `"User":"bob","bytes_sent":100`}, {1, proxy, 1, `"User":"bob","bytes_sent":1000`}, // avg 550
			{0, proxy, 1, `"User":"alice","bytes_sent":400`}, {1, proxy, 1, `"User":"alice","bytes_sent":600`}, // avg 500
		},
		want: []string{"map[User:bob] 0s-1s c1=2"},
	},
	{
		name: "value_percentile: a value holding at most 20% of a host's matches within 1m",
		rule: "title: rare\ncorrelation:\n  type: value_percentile\n  rules: [recon_whoami]\n  group-by: [Host]\n  timespan: 1m\n  condition: {field: Image, lte: 20}\n",
		events: []ev{
			{0, sysmon, 1, `"Host":"h1","Image":"a\\whoami.exe"`}, {1, sysmon, 1, `"Host":"h1","Image":"a\\whoami.exe"`},
			{2, sysmon, 1, `"Host":"h1","Image":"a\\whoami.exe"`}, {3, sysmon, 1, `"Host":"h1","Image":"a\\whoami.exe"`},
			{4, failed, 4688, `"Host":"h1","NewProcessName":"b\\whoami.exe"`}, // 1 of 5: 20%
			{0, sysmon, 1, `"Host":"h2","Image":"a\\whoami.exe"`}, {1, sysmon, 1, `"Host":"h2","Image":"b\\whoami.exe"`},
		},
		want: []string{"map[Host:h1] 0s-4s c1=4 c2=1"},
	},
}

// aliasCases group events by values that channels read from different fields: the
// correlation's aliases, and a target's rename of a Sigma field.
var aliasCases = []struct {
	name   string
	rule   string
	events []ev
	want   []string
}{
	{
		name: "temporal with aliases: a failed logon from an address, then web access from it",
		rule: "title: alias\ncorrelation:\n  type: temporal\n  rules: [failed_login, website_access]\n  group-by: [ip]\n  timespan: 1m\n" +
			"  aliases:\n    ip: {failed_login: IpAddress, website_access: client_ip}\n",
		events: []ev{
			failedAt(0, `"IpAddress":"10.0.0.1"`), {5, proxy, 1, `"client_ip":"10.0.0.2","IpAddress":"10.0.0.1"`},
			{10, proxy, 1, `"client_ip":"10.0.0.1"`},
		},
		want: []string{"map[ip:10.0.0.1] 0s-10s c1=1 c2=1"},
	},
	{
		name: "event_count grouped by Image, which Security events name NewProcessName",
		rule: "title: rename\ncorrelation:\n  type: event_count\n  rules: [recon_whoami]\n  group-by: [Image]\n  timespan: 1m\n  condition: {gte: 2}\n",
		events: []ev{
			{0, sysmon, 1, `"Image":"C:\\a\\whoami.exe"`}, {5, failed, 4688, `"NewProcessName":"C:\\a\\whoami.exe","Image":"other"`},
			{6, sysmon, 1, `"Image":"C:\\b\\whoami.exe"`},
		},
		want: []string{`map[Image:C:\a\whoami.exe] 0s-5s c1=1 c2=1`},
	},
}

// TestTypesAtRuntime runs each type's plan over events through the runtime.
func TestTypesAtRuntime(t *testing.T) {
	for _, tc := range append(typeCases, aliasCases...) {
		t.Run(tc.name, func(t *testing.T) {
			set := buildSet(t, tc.rule)
			require.Equal(t, tc.want, withoutIDs(run(t, set, 1, lines(tc.events))))
		})
	}
}

// randomEvents are n events of the base rules over 3 users and 2 hosts, 0 to 19 seconds
// apart as rng says (so many share a time), with numeric and string values for the
// aggregated fields.
func randomEvents(rng *rand.Rand, n int) []ev {
	var out []ev
	at := 0
	for range n {
		at += rng.IntN(20)
		user := fmt.Sprintf(`"User":"u%d","Host":"h%d","IpAddress":"10.0.0.%d","client_ip":"10.0.0.%d"`, rng.IntN(3), rng.IntN(2), rng.IntN(3), rng.IntN(3))
		if rng.IntN(10) == 0 {
			user = fmt.Sprintf(`"Host":"h%d"`, rng.IntN(2)) // no User: in no group
		}
		switch rng.IntN(5) {
		case 0:
			out = append(out, failedAt(at, user))
		case 1:
			out = append(out, successAt(at, user))
		case 2:
			out = append(out, ev{at, sysmon, 1, user + fmt.Sprintf(`,"Image":"d%d\\whoami.exe"`, rng.IntN(4))})
		case 3:
			out = append(out, ev{at, failed, 4688, user + fmt.Sprintf(`,"NewProcessName":"d%d\\whoami.exe"`, rng.IntN(4))})
		default:
			out = append(out, ev{at, proxy, 1, user + fmt.Sprintf(`,"bytes_sent":%d`, rng.IntN(700))})
		}
	}
	return out
}

// TestOrderAndWorkers checks that every type's alerts are a function of the events alone:
// the same events in any arrival order the lateness allows, with 1, 2 and 4 workers, give
// the same alerts, ids included, as the sorted events with one worker.
func TestOrderAndWorkers(t *testing.T) {
	rules := map[string]string{}
	for _, tc := range append(typeCases, aliasCases...) {
		rules[tc.name] = tc.rule
	}
	seeds := 40
	if testing.Short() {
		seeds = 5
	}
	for name, rule := range rules {
		t.Run(name, func(t *testing.T) {
			set := buildSet(t, rule)
			alerted := 0
			for seed := range seeds {
				rng := rand.New(rand.NewPCG(uint64(seed), 7))
				evs := randomEvents(rng, 120)
				want := run(t, set, 1, lines(slices.Clone(evs)))
				alerted += len(want)
				for _, workers := range []int{1, 2, 4} {
					got := run(t, set, workers, shuffle(evs, rng))
					require.Equal(t, want, got, "seed %d, %d workers", seed, workers)
				}
			}
			require.Positive(t, alerted, "the random streams raise alerts")
		})
	}
}

func runtimeNew(set *plan.Set) (*runtime.Engine, error) { return runtime.New(set) }
