package serve

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
)

// fakeMsg is a message as a consumer delivers it, for splitLines.
type fakeMsg struct {
	jetstream.Msg
	m *nats.Msg
}

func (f fakeMsg) Data() []byte         { return f.m.Data }
func (f fakeMsg) Headers() nats.Header { return f.m.Header }
func (f fakeMsg) Subject() string      { return f.m.Subject }

// TestSplitLines reads the lines of an events message and where each came from, as stage 1
// cites them: several lines with their headers, a collector's chunk of a file, a collector
// without headers (the message's stream sequence and the line in it), Fluent Bit's JSON array.
func TestSplitLines(t *testing.T) {
	type got struct {
		text, src string
		line      int
	}
	msg := func(data string, srcs []string, lines string) *nats.Msg {
		m := nats.NewMsg("t.events")
		m.Data = []byte(data)
		for _, s := range srcs {
			m.Header.Add(HeaderSource, s)
		}
		if lines != "" {
			m.Header.Set(HeaderLine, lines)
		}
		return m
	}
	tests := []struct {
		name string
		m    *nats.Msg
		want []got
	}{
		{"one line", msg(`{"a":1}`, []string{"a.jsonl"}, "7"), []got{{`{"a":1}`, "a.jsonl", 7}}},
		{"one line, no headers", msg("{\"a\":1}\r\n", nil, ""), []got{{`{"a":1}`, "<t.events>", 42}}},
		{"an empty message is an empty line", msg("", nil, ""), []got{{"", "<t.events>", 42}}},
		{"lines of two files", msg("{\"a\":1}\r\n{\"b\":2}\n\n{\"c\":3}\n", []string{"a.jsonl", "b.jsonl"}, "3,1:9,4,1:10"),
			[]got{{`{"a":1}`, "a.jsonl", 3}, {`{"b":2}`, "b.jsonl", 9}, {"", "a.jsonl", 4}, {`{"c":3}`, "b.jsonl", 10}}},
		{"a chunk from line 5", msg("{\"a\":1}\n{\"b\":2}", []string{"coll"}, "5"), []got{{`{"a":1}`, "coll", 5}, {`{"b":2}`, "coll", 6}}},
		{"no headers", msg("{\"a\":1}\nbad\n", nil, ""), []got{{`{"a":1}`, "<t.events>:42", 1}, {"bad", "<t.events>:42", 2}}},
		{"headers numbering other lines", msg("{\"a\":1}\n{\"b\":2}\n{}", []string{"a"}, "1,2"),
			[]got{{`{"a":1}`, "<t.events>:42", 1}, {`{"b":2}`, "<t.events>:42", 2}, {`{}`, "<t.events>:42", 3}}},
		{"Fluent Bit's array", msg(`[[1700000000,{"tag":"win","n":1}],[1700000001,{"tag":"win",`+"\n"+`"n":2}]]`, nil, ""),
			[]got{{`{"tag":"win","n":1}`, "<t.events>:42", 1}, {`{"tag":"win","n":2}`, "<t.events>:42", 2}}},
		{"an array of objects", msg(` [{"a":1}, 3, {"b":[2]}]`, nil, ""),
			[]got{{`{"a":1}`, "<t.events>:42", 1}, {"3", "<t.events>:42", 2}, {`{"b":[2]}`, "<t.events>:42", 3}}},
		{"an array of numbers is one line", msg(`[1,2]`, nil, ""), []got{{`[1,2]`, "<t.events>", 42}}},
		{"an array then more", msg("[{\"a\":1}]\n{\"b\":2}", nil, ""), []got{{`[{"a":1}]`, "<t.events>:42", 1}, {`{"b":2}`, "<t.events>:42", 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lines []got
			for _, l := range splitLines(nil, fakeMsg{m: tc.m}, 42) {
				lines = append(lines, got{string(l.text), l.src, l.line})
			}
			assert.Equal(t, tc.want, lines)
		})
	}
}

// TestPackerRoundTrip packs random lines of random files under random bounds: every message
// fits its byte bound (but a line too large alone), holds at most its line bound, and reads
// back as the same lines in the same order, each at its file:line.
func TestPackerRoundTrip(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 2))
		maxLines, maxBytes := 1+rng.IntN(50), int64(300+rng.IntN(4000))
		p := newPacker("t.events", maxLines, maxBytes)
		type line struct {
			text, src string
			n         int
		}
		var in, out []line
		var msgs []*nats.Msg
		var ids []string
		for i := range 500 {
			l := line{text: fmt.Sprintf(`{"i":%d,"pad":%q}`, i, strings.Repeat("x", rng.IntN(600))),
				src: fmt.Sprintf("dir/file-%d.jsonl", rng.IntN(5)), n: 1 + rng.IntN(100000)}
			in = append(in, l)
			if m, id, _ := p.add(l.text, l.src, l.n); m != nil {
				msgs, ids = append(msgs, m), append(ids, id)
			}
		}
		if m, id, _ := p.take(); m != nil {
			msgs, ids = append(msgs, m), append(ids, id)
		}
		for i, m := range msgs {
			lines := splitLines(nil, fakeMsg{m: m}, uint64(i+1))
			assert.LessOrEqual(t, len(lines), maxLines, "seed %d", seed)
			if len(lines) > 1 {
				assert.LessOrEqual(t, msgSize(m)+idRoom, maxBytes, "seed %d", seed)
			}
			first := lineID(lines[0].src, lines[0].line)
			if len(lines) > 1 {
				first += "+" + strconv.Itoa(len(lines))
			}
			assert.Equal(t, first, ids[i], "the message id")
			for _, l := range lines {
				out = append(out, line{string(l.text), l.src, l.line})
			}
		}
		require.Equal(t, in, out, "seed %d: %d lines, %d bytes", seed, maxLines, maxBytes)
	}
}

// TestPackingGivesRunsAlerts is the property of packing: however the lines are cut into
// messages, the alerts are run's, each once. The demo, shuffled within the lateness, is cut
// at random points into messages; the ten datasets are published with random bounds.
func TestPackingGivesRunsAlerts(t *testing.T) {
	set := compileSet(t)
	want := runAlerts(t, set, nil, []string{demoFile})
	for _, seed := range []uint64{3, 4, 5} {
		t.Run("demo seed "+strconv.FormatUint(seed, 10), func(t *testing.T) {
			c := newCluster(t, set, nil)
			rng := rand.New(rand.NewPCG(seed, 3))
			lines := shuffledLines(t, demoFile, 4*time.Minute, rng)
			p := newPacker(testNames.withDefaults().EventsSubject(), len(lines), DefaultMaxBytes)
			messages := 0
			for i, l := range lines {
				p.add(string(l.text), demoFile, l.n)
				if i == len(lines)-1 || rng.IntN(4) == 0 {
					m, id, _ := p.take()
					_, err := c.js.PublishMsg(context.Background(), m, jetstream.WithMsgID(id))
					require.NoError(t, err)
					messages++
				}
			}
			t.Logf("%d lines in %d messages", len(lines), messages)
			c.stage1()
			c.stage1()
			c.stage2(nil)
			c.stage2(nil)
			c.assertAlerts(want)
		})
	}
	t.Run("datasets", func(t *testing.T) {
		files := datasets(t)
		set, profile := windowsSet(t)
		want := runAlertsLate(t, set, profile, files, event.DefaultLateness)
		rng := rand.New(rand.NewPCG(6, 3))
		opts := PublishOptions{Profile: profile, Lateness: event.DefaultLateness, MaxLines: 1 + rng.IntN(2000), MaxBytes: int64(4096 + rng.IntN(1<<20))}
		c := newCluster(t, set, profile)
		c.stage1()
		c.stage2(nil)
		c.stage2(nil)
		_, err := Publish(context.Background(), c.js, testNames, opts, openInputs(t, files)...)
		require.NoError(t, err)
		c.assertAlerts(want)
		t.Logf("%d alerts as run's, %d lines per message at most, %d bytes; %d messages",
			len(want), opts.MaxLines, opts.MaxBytes, streamMsgs(t, c, testNames.withDefaults().EventsStream()))
	})
}

// TestBadLineInMessage packs the demo's lines into three messages with bad lines among them,
// from another file, and sends a collector's message of three lines without headers whose
// second is bad: each bad line is parked with its file and line (the collector's with the
// message's stream sequence and its line in the message) and counted, and the other lines
// of its message give run's alert.
func TestBadLineInMessage(t *testing.T) {
	set := compileSet(t)
	want := runAlerts(t, set, nil, []string{demoFile})
	c := newCluster(t, set, nil)
	n := testNames.withDefaults()
	lines := readLines(t, demoFile)
	bad := map[int]string{10: `{"time":`, 40: `{"log_source":"x"}`, 41: "", 70: `[1,2]`} // before demo line i+1
	p := newPacker(n.EventsSubject(), 1000, DefaultMaxBytes)
	var wantRejects []string
	for i, l := range lines {
		if b, ok := bad[i]; ok {
			p.add(b, "bad.jsonl", i)
			wantRejects = append(wantRejects, fmt.Sprintf("bad.jsonl:%d %s", i, b))
		}
		p.add(string(l), demoFile, i+1)
		if i == 30 || i == 60 || i == len(lines)-1 {
			m, id, _ := p.take()
			_, err := c.js.PublishMsg(context.Background(), m, jetstream.WithMsgID(id))
			require.NoError(t, err)
		}
	}
	collector := nats.NewMsg(n.EventsSubject())
	collector.Data = []byte(`{"time":"2026-03-20T09:00:05Z","log_source":"x"}` + "\nnot json\n" + `{"time":"2026-03-20T09:00:06Z","log_source":"x"}` + "\n")
	ack, err := c.js.PublishMsg(context.Background(), collector)
	require.NoError(t, err)
	wantRejects = append(wantRejects, fmt.Sprintf("<%s>:%d:2 not json", n.EventsSubject(), ack.Sequence))

	m := &Metrics{}
	start(t, (&Stage1{JS: c.js, Names: testNames, Set: c.set, Metrics: m}).Run)
	c.stage2(nil)
	c.assertAlerts(want)
	waitFor(t, 30*time.Second, "stage 1", func() bool { return stage1Drained(t, c.js, testNames) })
	assert.EqualValues(t, len(wantRejects), m.Rejected.Load(), "bad lines parked")
	assert.EqualValues(t, len(lines)+len(bad)+3, m.EventsIn.Load(), "lines handled")

	st, err := c.js.Stream(context.Background(), n.RejectsStream())
	require.NoError(t, err)
	var got []string
	for seq := uint64(1); seq <= uint64(len(wantRejects)); seq++ {
		parked, err := st.GetMsg(context.Background(), seq)
		require.NoError(t, err)
		got = append(got, fmt.Sprintf("%s:%s %s", parked.Header.Get(HeaderSource), parked.Header.Get(HeaderLine), parked.Data))
		assert.NotEmpty(t, parked.Header.Get(HeaderReason))
	}
	sort.Strings(got)
	sort.Strings(wantRejects)
	assert.Equal(t, wantRejects, got)
}

// TestRepublishStoresNothingTwice publishes the demo twice with the same packing: the second
// time the events stream keeps its messages (each message's id is its first file:line and
// line count), and the alerts are run's, each once.
func TestRepublishStoresNothingTwice(t *testing.T) {
	set := compileSet(t)
	want := runAlerts(t, set, nil, []string{demoFile})
	c := newCluster(t, set, nil)
	n := testNames.withDefaults()
	opts := PublishOptions{MaxLines: 7}
	_, err := Publish(context.Background(), c.js, testNames, opts, openInputs(t, []string{demoFile})...)
	require.NoError(t, err)
	first := streamMsgs(t, c, n.EventsStream())
	require.EqualValues(t, (len(readLines(t, demoFile))+6)/7, first, "messages of 7 lines")
	_, err = Publish(context.Background(), c.js, testNames, opts, openInputs(t, []string{demoFile})...)
	require.NoError(t, err)
	assert.Equal(t, first, streamMsgs(t, c, n.EventsStream()), "published again: nothing stored twice")
	c.stage1()
	c.stage2(nil)
	c.assertAlerts(want)
}

// openInputs opens files as Publish's inputs, closed at the end of the test.
func openInputs(t testing.TB, files []string) []Input {
	var inputs []Input
	for _, f := range files {
		fh, err := os.Open(f)
		require.NoError(t, err)
		t.Cleanup(func() { _ = fh.Close() })
		inputs = append(inputs, Input{Name: f, R: fh})
	}
	return inputs
}

// TestCrashedWorkerNotOvertaken has a stage-1 worker take the first message, the demo's first
// 44 lines, and crash with it (never ack it); the rest of the demo follows in messages of four
// lines, twenty minutes of event time. With one message in flight the others wait for it to
// come again (after the ack wait) and the alert is run's; when the other workers went on, its
// matches came after later ones by more than the lateness and were parked as late.
func TestCrashedWorkerNotOvertaken(t *testing.T) {
	set := compileSet(t)
	want := runAlerts(t, set, nil, []string{demoFile})
	c := newCluster(t, set, nil)
	n := testNames.withDefaults()
	lines := readLines(t, demoFile)
	p := newPacker(n.EventsSubject(), len(lines), DefaultMaxBytes)
	for i, l := range lines {
		p.add(string(l), demoFile, i+1)
		if i == 43 || (i > 43 && (i-43)%4 == 0) || i == len(lines)-1 {
			m, id, _ := p.take()
			_, err := c.js.PublishMsg(context.Background(), m, jetstream.WithMsgID(id))
			require.NoError(t, err)
		}
	}
	s1 := func() *Stage1 {
		return &Stage1{JS: c.js, Names: n, Set: set, AckWait: 2 * time.Second}
	}
	cons, err := s1().consumer(context.Background())
	require.NoError(t, err)
	crashed, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	require.NoError(t, err)
	held := <-crashed.Messages()
	require.NotNil(t, held, "the crashed worker's message")
	require.Equal(t, lineID(demoFile, 1)+"+44", held.Headers().Get(jetstream.MsgIDHeader))
	start(t, s1().Run)
	start(t, s1().Run)
	c.stage2(nil)
	c.assertAlerts(want)
}

// TestLiveInputNotHeld publishes the demo through a pipe that stays open, as a collector's
// stdin would: its lines are stored within MaxWait, not held until a message of a thousand
// lines fills or the input ends.
func TestLiveInputNotHeld(t *testing.T) {
	c := newCluster(t, compileSet(t), nil)
	n := testNames.withDefaults()
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := Publish(context.Background(), c.js, testNames, PublishOptions{MaxWait: 100 * time.Millisecond}, Input{Name: "<stdin>", R: r})
		done <- err
	}()
	lines := readLines(t, demoFile)
	for _, l := range lines {
		_, err := w.Write(append(l, '\n'))
		require.NoError(t, err)
	}
	waitFor(t, 10*time.Second, "the lines while the input is open", func() bool {
		return storedLines(t, c, n.EventsStream()) >= len(lines)-1 // the merger may hold the last
	})
	require.NoError(t, w.Close())
	require.NoError(t, <-done)
	assert.Equal(t, len(lines), storedLines(t, c, n.EventsStream()))
}

// storedLines counts the event lines a stream's messages hold.
func storedLines(t *testing.T, c *cluster, stream string) int {
	st, err := c.js.Stream(context.Background(), stream)
	require.NoError(t, err)
	info, err := st.Info(context.Background())
	require.NoError(t, err)
	total := 0
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(context.Background(), seq)
		require.NoError(t, err)
		total += strings.Count(string(m.Data), "\n") + 1
	}
	return total
}

// TestDecoderReadsEachLineAlone: a line with a byte-order mark decodes as it does without,
// whether it is the first line a decoder reads or a later one, so that the verdict on a line
// does not depend on which goroutine of stage 1 read which lines before it.
func TestDecoderReadsEachLineAlone(t *testing.T) {
	line := []byte(`{"time":"2026-03-20T09:00:00Z","log_source":"WinEventLog:Sysmon","EventCode":1}`)
	bom := append([]byte("\xef\xbb\xbf"), line...)
	for _, order := range [][][]byte{{bom, line, bom}, {line, bom, bom}} {
		d := newDecoder(nil)
		for i, text := range order {
			l := d.decodeLine(msgLine{text: text, src: "s", line: i + 1})
			require.Nil(t, l.rej, "line %d of %q", i+1, order)
			assert.Equal(t, "WinEventLog:Sysmon", l.ev.LogSource)
		}
	}
}
