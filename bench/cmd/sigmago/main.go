// Command sigmago is the sigma-go baseline of bench/whole.sh: it evaluates the Sigma rules
// of a stixcel artifact with github.com/bradleyjkemp/sigma-go over JSON lines of Windows
// events, and prints how many rules it parsed and how many matches it found.
//
//	sigmago --plans ARTIFACT.json FILE...
//
// The rules are those the artifact's Sigma plans were compiled from (their rule files are
// read again, so they must still be where the artifact names them), each met only with the
// events of the log source and EventCode its plan's channels select, as stixcel's routing
// does: an event is decoded with encoding/json, its log source is its Channel as stixcel's
// windows profile names it, and its EventCode is its EventID. No field is renamed: the
// events are the flat exports (nxlog, OTRF) whose field names are Sigma's. A rule sigma-go
// refuses, and a rule that fails on an event (a modifier or field shape it does not
// support), is counted. Everything is timed: reading the artifact and parsing the rules as
// stixcel's start-up is, and each event's routing, decoding and evaluation.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
)

// maxLine is the longest line read, as stixcel's reader allows.
const maxLine = 16 << 20

func main() {
	plans := flag.String("plans", "", "the stixcel artifact `FILE` whose Sigma rules to run")
	flag.Parse()
	if *plans == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: sigmago --plans ARTIFACT.json FILE...")
		os.Exit(2)
	}
	rules, err := loadRules(*plans)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sigmago:", err)
		os.Exit(2)
	}
	var c counts
	for _, name := range flag.Args() {
		if err := rules.runFile(name, &c); err != nil {
			fmt.Fprintln(os.Stderr, "sigmago:", err)
			os.Exit(2)
		}
	}
	fmt.Printf("sigmago: %d rules parsed, %d refused; %d events, %d matches, %d rule errors\n",
		rules.parsed, rules.refused, c.events, c.matches, c.failures)
}

// artifact is what sigmago reads of a stixcel artifact (plan.Set's JSON).
type artifact struct {
	Plans []struct {
		Origin string `json:"origin"`
		Rule   *struct {
			Path string `json:"path"`
		} `json:"rule"`
		Channels []struct {
			LogSource string `json:"log_source"`
			Selector  string `json:"selector"`
		} `json:"channels"`
	} `json:"plans"`
}

// routed are the rules sigma-go parsed, by log source and EventCode (0: every event of the
// log source).
type routed struct {
	byKey           map[string]map[int64][]*evaluator.RuleEvaluator
	parsed, refused int
}

// selectorCodes finds the event codes a channel's selector tests.
var selectorCodes = regexp.MustCompile(`EventCode in \[([0-9, ]+)\]`)

// loadRules reads the artifact and parses the rule of each of its Sigma plans.
func loadRules(path string) (*routed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a artifact
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := &routed{byKey: map[string]map[int64][]*evaluator.RuleEvaluator{}}
	for _, p := range a.Plans {
		if p.Origin != "sigma" || p.Rule == nil {
			continue
		}
		text, err := os.ReadFile(p.Rule.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rule, err := sigma.ParseRule(text)
		if err != nil {
			r.refused++
			continue
		}
		r.parsed++
		ev := evaluator.ForRule(rule)
		for _, ch := range p.Channels {
			codes, err := channelCodes(ch.Selector)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, p.Rule.Path, err)
			}
			r.add(ch.LogSource, codes, ev)
		}
	}
	return r, nil
}

// channelCodes are the event codes a selector tests, or 0 for every event of its log source.
func channelCodes(selector string) ([]int64, error) {
	m := selectorCodes.FindStringSubmatch(selector)
	if m == nil {
		return []int64{0}, nil
	}
	var codes []int64
	for s := range strings.SplitSeq(m[1], ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, err
		}
		codes = append(codes, n)
	}
	return codes, nil
}

func (r *routed) add(logSource string, codes []int64, ev *evaluator.RuleEvaluator) {
	if r.byKey[logSource] == nil {
		r.byKey[logSource] = map[int64][]*evaluator.RuleEvaluator{}
	}
	for _, code := range codes {
		r.byKey[logSource][code] = append(r.byKey[logSource][code], ev)
	}
}

// counts are what a run found.
type counts struct {
	events, matches, failures int
}

// runFile evaluates every non-empty line of the file named.
func (r *routed) runFile(name string, c *counts) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return r.run(f, name, c)
}

func (r *routed) run(in io.Reader, name string, c *counts) error {
	ctx := context.Background()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		c.events++
		r.evaluate(ctx, m, c)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return nil
}

// evaluate meets an event with the rules of its log source and EventCode.
func (r *routed) evaluate(ctx context.Context, m map[string]any, c *counts) {
	byCode := r.byKey[logSource(m)]
	if byCode == nil {
		return
	}
	for _, rules := range [][]*evaluator.RuleEvaluator{byCode[eventCode(m)], byCode[0]} {
		for _, rule := range rules {
			res, err := rule.Matches(ctx, m)
			switch {
			case err != nil:
				c.failures++
			case res.Match:
				c.matches++
			}
		}
	}
}

// logSources are stixcel's windows profile's names of event log channels (lower-cased); a
// channel not listed is "WinEventLog:" and the channel as written.
var logSources = map[string]string{
	"microsoft-windows-sysmon/operational": "WinEventLog:Sysmon",
	"security":                             "WinEventLog:Security",
	"system":                               "WinEventLog:System",
	"application":                          "WinEventLog:Application",
	"microsoft-windows-powershell/operational":            "WinEventLog:PowerShell",
	"windows powershell":                                  "WinEventLog:PowerShell",
	"powershellcore/operational":                          "WinEventLog:PowerShell",
	"microsoft-windows-taskscheduler/operational":         "WinEventLog:TaskScheduler",
	"microsoft-windows-wmi-activity/operational":          "WinEventLog:WMI",
	"microsoft-windows-winrm/operational":                 "WinEventLog:WinRM",
	"microsoft-windows-applocker/exe and dll":             "WinEventLog:AppLocker",
	"microsoft-windows-applocker/msi and script":          "WinEventLog:AppLocker",
	"microsoft-windows-applocker/packaged app-execution":  "WinEventLog:AppLocker",
	"microsoft-windows-applocker/packaged app-deployment": "WinEventLog:AppLocker",
}

// logSource is an event's log source as stixcel's windows profile gives it for a flat export.
func logSource(m map[string]any) string {
	channel, _ := m["Channel"].(string)
	if channel == "" {
		return ""
	}
	if ls, ok := logSources[strings.ToLower(channel)]; ok {
		return ls
	}
	return "WinEventLog:" + channel
}

// eventCode is an event's EventID as a number (0 when it has none).
func eventCode(m map[string]any) int64 {
	switch v := m["EventID"].(type) {
	case float64:
		return int64(v)
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}
