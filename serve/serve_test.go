package serve

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/source"
)

const demoFile = "../testdata/events/demo.jsonl"

// testNames is a deployment with short leases, so that takeovers take a second.
var testNames = Names{Prefix: "t", Partitions: 4, LeaseTTL: 3 * time.Second} // renewed every second: slack for -race on 2 cores

// cluster is one test's deployment: a server, a client, the plans.
type cluster struct {
	t       *testing.T
	js      jetstream.JetStream
	set     *plan.Set
	profile *source.Profile
}

func newCluster(t *testing.T, set *plan.Set, profile *source.Profile, tune ...func(*server.Options)) *cluster {
	s := startServer(t, tune...)
	js := connect(t, s.ClientURL())
	require.NoError(t, Setup(context.Background(), js, testNames))
	return &cluster{t: t, js: js, set: set, profile: profile}
}

func (c *cluster) stage1() *worker {
	s := &Stage1{JS: c.js, Names: testNames, Set: c.set, Profile: c.profile}
	return start(c.t, s.Run)
}

func (c *cluster) stage2(m *Metrics) *worker {
	s := &Stage2{JS: c.js, Names: testNames, Set: c.set, Profile: c.profile, IdleFlush: 300 * time.Millisecond, Metrics: m}
	return start(c.t, s.Run)
}

// assertAlerts checks that the alert stream holds exactly want, each id once.
func (c *cluster) assertAlerts(want []string) {
	got := waitAlerts(c.t, c.js, testNames, len(want), 60*time.Second)
	assert.Equal(c.t, want, slices.Compact(slices.Clone(got)), "alert ids: serve vs run")
	assert.Len(c.t, got, len(slices.Compact(slices.Clone(got))), "duplicate alerts in the stream")
}

// publishShuffled publishes file's lines, one per message, in a random order in which no
// line comes after one more than spread later in event time, with their file:line.
func publishShuffled(t *testing.T, js jetstream.JetStream, file string, spread time.Duration, seed uint64) {
	for _, l := range shuffledLines(t, file, spread, rand.New(rand.NewPCG(seed, 1))) {
		_, err := js.PublishMsg(context.Background(), lineMsg(testNames.withDefaults().EventsSubject(), l.text, file, l.n))
		require.NoError(t, err)
	}
}

// numberedLine is a line of a file and its number there.
type numberedLine struct {
	n    int
	text []byte
}

// shuffledLines returns file's lines in a random order in which no line comes after one
// more than spread later in event time.
func shuffledLines(t *testing.T, file string, spread time.Duration, rng *rand.Rand) []numberedLine {
	fh, err := os.Open(file)
	require.NoError(t, err)
	defer fh.Close()
	type line struct {
		key time.Time
		numberedLine
	}
	var lines []line
	sc := bufio.NewScanner(fh)
	for n := 1; sc.Scan(); n++ {
		ev, bad := event.Normalized{}.Decode(sc.Bytes())
		require.Nil(t, bad)
		jitter := time.Duration(rng.Int64N(int64(spread)))
		lines = append(lines, line{key: ev.Time.Add(jitter), numberedLine: numberedLine{n: n, text: slices.Clone(sc.Bytes())}})
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].key.Before(lines[j].key) })
	out := make([]numberedLine, len(lines))
	for i, l := range lines {
		out[i] = l.numberedLine
	}
	return out
}

func TestDemoOutOfOrder(t *testing.T) {
	set := compileSet(t)
	want := runAlerts(t, set, nil, []string{demoFile})
	require.Len(t, want, 1, "the AN1828 demo has one alert")
	for _, seed := range []uint64{1, 2} {
		t.Run("seed"+string(rune('0'+seed)), func(t *testing.T) {
			c := newCluster(t, set, nil)
			publishShuffled(t, c.js, demoFile, 4*time.Minute, seed) // within the 5m lateness
			c.stage1()
			c.stage1()
			waitFor(t, 90*time.Second, "stage 1", func() bool { return stage1Drained(t, c.js, testNames) })
			c.stage2(nil)
			c.stage2(nil)
			c.assertAlerts(want)
		})
	}
}

// datasets are the ten shared OTRF recordings, or the test is skipped (failed under CI).
func datasets(t testing.TB) []string {
	dir := shared.Path(t, "datasets", "otrf-windows")
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	require.NoError(t, err)
	require.Len(t, files, 10)
	return files
}

func windowsSet(t testing.TB) (*plan.Set, *source.Profile) {
	bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	profile, err := source.Builtin("windows")
	require.NoError(t, err)
	return compileSet(t, bundle), profile
}

func TestDatasetsTwoWorkers(t *testing.T) {
	files := datasets(t)
	set, profile := windowsSet(t)
	want := runAlerts(t, set, profile, files)
	require.NotEmpty(t, want)
	c := newCluster(t, set, profile)
	c.stage1()
	c.stage1()
	publishFiles(t, c.js, testNames, profile, files)
	waitFor(t, 180*time.Second, "stage 1", func() bool { return stage1Drained(t, c.js, testNames) })
	c.stage2(nil)
	c.stage2(nil)
	c.assertAlerts(want)
	st, err := c.js.Stream(context.Background(), testNames.withDefaults().MatchesStream())
	require.NoError(t, err)
	info, err := st.Info(context.Background())
	require.NoError(t, err)
	t.Logf("%d alerts, as run; %d matches for stage 2", len(want), info.State.Msgs)
}

// dedupe is sorted ids without repeats.
func dedupe(ids []string) []string { return slices.Compact(slices.Clone(ids)) }

// TestStageOneIsTheSameOnAnyWorkers checks that stage 1 publishes the same matches, alerts
// and parked lines, with the same ids and provenance, in the same order, whether one
// goroutine or three evaluate the lines of each message.
func TestStageOneIsTheSameOnAnyWorkers(t *testing.T) {
	cases := []struct {
		name  string
		plans func(t *testing.T) (*plan.Set, *source.Profile, []string)
	}{
		{"demo", func(t *testing.T) (*plan.Set, *source.Profile, []string) {
			return compileSet(t), nil, []string{demoFile}
		}},
		{"datasets", func(t *testing.T) (*plan.Set, *source.Profile, []string) {
			files := datasets(t)
			set, profile := windowsSet(t)
			return set, profile, files
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set, profile, files := tc.plans(t)
			var outputs [][]string
			for _, workers := range []int{1, 3} {
				c := newCluster(t, set, profile)
				publishFiles(t, c.js, testNames, profile, files)
				start(t, (&Stage1{JS: c.js, Names: testNames, Set: set, Profile: profile, Workers: workers}).Run)
				waitFor(t, 180*time.Second, "stage 1", func() bool { return stage1Drained(t, c.js, testNames) })
				n := testNames.withDefaults()
				outputs = append(outputs, streamMessages(t, c.js, n.MatchesStream(), n.AlertsStream(), n.RejectsStream()))
			}
			require.NotEmpty(t, outputs[0])
			assert.Equal(t, outputs[0], outputs[1], "stage 1's output with 1 and with 3 workers")
		})
	}
}

// streamMessages lists the messages of streams in order, each as its subject, message id,
// provenance and a digest of its data (not when it was stored).
func streamMessages(t *testing.T, js jetstream.JetStream, streams ...string) []string {
	t.Helper()
	var out []string
	for _, name := range streams {
		st, err := js.Stream(context.Background(), name)
		require.NoError(t, err)
		info, err := st.Info(context.Background())
		require.NoError(t, err)
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
			m, err := st.GetMsg(context.Background(), seq)
			require.NoError(t, err)
			out = append(out, fmt.Sprintf("%s %s %s:%s %x", m.Subject, m.Header.Get(jetstream.MsgIDHeader),
				m.Header.Get(HeaderSource), m.Header.Get(HeaderLine), sha256.Sum256(m.Data)))
		}
	}
	return out
}
