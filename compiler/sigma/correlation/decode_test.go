package correlation

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
)

// decodeText decodes the first rule of text and its correlation.
func decodeText(t *testing.T, text string) (*Correlation, diag.Diagnostics) {
	t.Helper()
	rules, diags := sigma.Decode("mr.yml", []byte(text))
	require.False(t, diags.HasErrors(), "%v", diags)
	return Decode(rules[0])
}

// TestDecodeErrors: every misuse of a correlation's body is reported at its
// file:line:col, naming the construct.
func TestDecodeErrors(t *testing.T) {
	const head = "title: c\ncorrelation:\n"
	for _, tc := range []struct {
		name, body, want string
	}{
		{"unknown type", "  type: event_cnt\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n  condition: {gte: 1}\n",
			`mr.yml:3:9: error: unknown correlation type "event_cnt"`},
		{"no type", "  rules: [a]\n  group-by: [u]\n  timespan: 1m\n", `mr.yml:3:3: error: correlation has no "type" key`},
		{"no rules", "  type: temporal\n  group-by: [u]\n  timespan: 1m\n", `mr.yml:3:3: error: correlation has no "rules" key`},
		{"empty rules", "  type: temporal\n  rules: []\n  group-by: [u]\n  timespan: 1m\n", "mr.yml:4:10: error: correlation rules is empty"},
		{"rules not a list", "  type: temporal\n  rules: a\n  group-by: [u]\n  timespan: 1m\n", "mr.yml:4:10: error: correlation rules must be a list"},
		{"a rule twice", "  type: temporal\n  rules: [a, b, a]\n  group-by: [u]\n  timespan: 1m\n", `mr.yml:4:17: error: correlation rules names "a" twice`},
		{"no group-by", "  type: temporal\n  rules: [a]\n  timespan: 1m\n", `mr.yml:3:3: error: correlation has no "group-by" key`},
		{"no timespan", "  type: temporal\n  rules: [a]\n  group-by: [u]\n", `mr.yml:3:3: error: correlation has no "timespan" key`},
		{"timespan unit", "  type: temporal\n  rules: [a]\n  group-by: [u]\n  timespan: 1w\n", `mr.yml:6:13: error: correlation timespan "1w": want a number and a unit s, m, h or d`},
		{"timespan upper case", "  type: temporal\n  rules: [a]\n  group-by: [u]\n  timespan: 5M\n", `mr.yml:6:13: error: correlation timespan "5M"`},
		{"timespan zero", "  type: temporal\n  rules: [a]\n  group-by: [u]\n  timespan: 0s\n", "mr.yml:6:13: error: correlation timespan \"0s\": must be positive"},
		{"event_count without condition", "  type: event_count\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n", `mr.yml:3:3: error: a event_count correlation has no "condition" key`},
		{"condition without comparison", "  type: event_count\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n  condition: {}\n", "mr.yml:7:14: error: correlation condition is empty"},
		{"unknown operator", "  type: event_count\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n  condition: {gte: 1, ge: 2}\n", `mr.yml:7:23: error: unknown key "ge" in correlation condition; did you mean "gt"?`},
		{"threshold not a number", "  type: event_count\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n  condition: {gte: ten}\n", "mr.yml:7:20: error: correlation condition gte must be a number, not a string"},
		{"value_count without field", "  type: value_count\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n  condition: {gte: 3}\n", "mr.yml:3:3: error: a value_count correlation needs condition.field"},
		{"field on event_count", "  type: event_count\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n  condition: {gte: 3, field: x}\n", "mr.yml:7:30: error: condition.field is for value_* correlations"},
		{"two fields to sum", "  type: value_sum\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n  condition: {gt: 3, field: [x, y]}\n", "mr.yml:7:33: error: a value_sum correlation aggregates one field, not 2"},
		{"condition on temporal_ordered", "  type: temporal_ordered\n  rules: [a, b]\n  group-by: [u]\n  timespan: 1m\n  condition: {gte: 2}\n", "mr.yml:7:15: error: a temporal_ordered correlation takes no condition"},
		{"temporal condition beyond the rules", "  type: temporal\n  rules: [a, b]\n  group-by: [u]\n  timespan: 1m\n  condition: {gte: 3}\n", "mr.yml:7:15: error: condition gte 3 can never hold"},
		{"percentile range", "  type: value_percentile\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n  condition: {field: x, gt: 1, lt: 5}\n", "mr.yml:7:25: error: a value_percentile condition is one of lt, lte, gt or gte"},
		{"percentile beyond 100", "  type: value_percentile\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n  condition: {field: x, lte: 150}\n", "mr.yml:7:25: error: a value_percentile condition is a percentage, 0 to 100"},
		{"alias of an unlisted rule", "  type: temporal\n  rules: [a, b]\n  group-by: [ip]\n  timespan: 1m\n  aliases:\n    ip: {a: src, c: dst}\n", `mr.yml:8:18: error: alias "ip" names rule "c", which the correlation's rules do not list`},
		{"alias missing a rule", "  type: temporal\n  rules: [a, b]\n  group-by: [ip]\n  timespan: 1m\n  aliases:\n    ip: {a: src}\n", `mr.yml:8:5: error: alias "ip" names no field for rule "b"`},
		{"unknown key", "  type: temporal\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n  groupby: [u]\n", `mr.yml:7:3: error: unknown key "groupby" in correlation; did you mean "group-by"?`},
		{"generate not a bool", "  type: temporal\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\ngenerate: yes please\n", "mr.yml:7:11: error: generate must be true or false"},
		{"empty body", "", "mr.yml:2:13: error: correlation must be a mapping, not null"},
		{"upper bound alone warns", "  type: event_count\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n  condition: {lt: 5}\n", "mr.yml:7:15: warning: a event_count condition without a lower bound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := decodeText(t, head+tc.body)
			require.NotEmpty(t, diags)
			assert.Contains(t, diags.Error(), tc.want)
		})
	}
}

// TestDecode reads every key of a correlation.
func TestDecode(t *testing.T) {
	c, diags := decodeText(t, `title: c
generate: true
correlation:
  type: value_count
  rules: [internal_error, new_network_connection]
  group-by: [internal_ip, host]
  timespan: 2d
  condition: {field: [user, domain], gt: 10, lte: 20.5}
  aliases:
    internal_ip:
      internal_error: destination.ip
      new_network_connection: source.ip
`)
	require.Empty(t, diags)
	assert.Equal(t, ValueCount, c.Type)
	assert.Equal(t, []string{"internal_error", "new_network_connection"}, Referenced(c))
	assert.True(t, Generates(c))
	assert.Equal(t, 48*time.Hour, c.Timespan)
	assert.Equal(t, []Comparison{{Op: "gt", Value: 10, Text: "10", Pos: diag.Pos{File: "mr.yml", Line: 8, Col: 38}},
		{Op: "lte", Value: 20.5, Text: "20.5", Pos: diag.Pos{File: "mr.yml", Line: 8, Col: 46}}}, c.Condition)
	require.Len(t, c.Aliases, 1)
	f, ok := c.Aliases[0].field("new_network_connection")
	assert.True(t, ok)
	assert.Equal(t, "source.ip", f.Value)
	assert.Equal(t, 12, f.Pos.Line)

	c, _ = decodeText(t, "title: c\ncorrelation:\n  type: temporal\n  rules: [a]\n  group-by: [u]\n  timespan: 1m\n")
	assert.False(t, Generates(c), "by default the referenced rules only feed the correlation")
}

// TestSpecificationExamples decodes the specification's correlation examples, and builds
// each over stand-in plans of its rules.
func TestSpecificationExamples(t *testing.T) {
	dir := shared.Path(t, "sigma", "specification", "tests", "schema", "correlation")
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	require.NoError(t, err)
	require.Len(t, files, 8)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			rules, diags := sigma.Decode(file, data)
			require.False(t, diags.HasErrors(), "%v", diags)
			c, diags := Decode(rules[0])
			require.Empty(t, diags)
			p, err := Build(c, func(ref string) (*Base, bool) {
				return &Base{Plan: &plan.Plan{ID: ref, Kind: plan.KindDetection, Channels: []*plan.Channel{{ID: "c1", LogSource: "L", Selector: "true"}}}}, true
			})
			require.NoError(t, err)
			assert.Len(t, p.Channels, len(c.Rules))
			assert.NotEmpty(t, p.Correlation.Condition)
			set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{p}}
			p.ID = "x"
			_, err = runtimeNew(set)
			require.NoError(t, err, "the runtime builds the plan: %s", p.Correlation.Condition)
		})
	}
}

// TestBuild checks the plan Build writes: channels renumbered with their rule named, group
// fields through each channel's target and the aliases, and the refusals.
func TestBuild(t *testing.T) {
	bases := basePlans()
	lookup := func(ref string) (*Base, bool) { b, ok := bases[ref]; return b, ok }
	c := decodeOne(t, "title: c\ncorrelation:\n  type: value_count\n  rules: [failed_login, recon_whoami]\n  group-by: [User]\n  timespan: 90m\n  condition: {field: Image, gte: 2}\n")
	p, err := Build(c, lookup)
	require.NoError(t, err)
	assert.Equal(t, plan.KindDetection, p.Kind)
	assert.Equal(t, plan.Correlation{GroupBy: []string{"User"}, WindowLiteral: "1h30m",
		Condition: "(distinct([channels.c1, channels.c2, channels.c3])) >= 2"}, p.Correlation)
	var ids, texts, series []string
	for _, ch := range p.Channels {
		ids, texts, series = append(ids, ch.ID), append(texts, ch.Channel), append(series, strings.Join(ch.SeriesBy, ","))
	}
	assert.Equal(t, []string{"c1", "c2", "c3"}, ids)
	assert.Equal(t, []string{"rule failed_login", "rule recon_whoami", "rule recon_whoami"}, texts)
	assert.Equal(t, []string{"Image", "Image", "NewProcessName"}, series, "the field through each channel's target")
	assert.Equal(t, `(event.NewProcessName.endsWith("\\whoami.exe")) && has(event.User) && event.User != null && has(event.NewProcessName) && event.NewProcessName != null`, p.Channels[2].Predicate)
	assert.Equal(t, "c1", bases["recon_whoami"].Plan.Channels[0].ID, "the base plans are not changed")

	for _, tc := range []struct{ name, rule, want string }{
		{"unknown rule", "  type: temporal\n  rules: [failed_login, nope]\n  group-by: [User]\n  timespan: 1m\n",
			`mr_test.yml:4:25: correlation rule "nope": no loaded Sigma rule has this name or id`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(decodeOne(t, "title: c\ncorrelation:\n"+tc.rule), lookup)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	c = decodeOne(t, "title: c\ncorrelation:\n  type: temporal\n  rules: [failed_login, recon_whoami]\n  group-by: [ip, Image]\n  timespan: 1m\n"+
		"  aliases:\n    ip: {failed_login: IpAddress, recon_whoami: SourceIp}\n")
	p, err = Build(c, lookup)
	require.NoError(t, err)
	assert.Equal(t, []string{"ip", "Image"}, p.Correlation.GroupBy, "the plan groups by the names as written")
	assert.Equal(t, [][]string{{"IpAddress", "Image"}, {"SourceIp", "Image"}, {"SourceIp", "NewProcessName"}},
		[][]string{p.Channels[0].GroupBy, p.Channels[1].GroupBy, p.Channels[2].GroupBy}, "each channel's fields, through the aliases and its target")
	chained := &Base{Plan: &plan.Plan{ID: "brute", Kind: plan.KindDetection, Channels: bases["failed_login"].Plan.Channels,
		Correlation: plan.Correlation{Condition: "channels.c1.count >= 3"}}}
	_, err = Build(decodeOne(t, "title: c\ncorrelation:\n  type: temporal\n  rules: [brute]\n  group-by: [User]\n  timespan: 1m\n"),
		func(string) (*Base, bool) { return chained, true })
	assert.ErrorContains(t, err, "mr_test.yml:4:11: correlation rule \"brute\" is itself a correlation")
}

// specExample returns the YAML block of the specification's markdown that follows heading.
func specExample(t *testing.T, heading string) string {
	t.Helper()
	data, err := os.ReadFile(shared.Path(t, "sigma", "specification", "specification", "sigma-correlation-rules-specification.md"))
	require.NoError(t, err)
	text := string(data)
	i := strings.Index(text, heading)
	require.GreaterOrEqual(t, i, 0, heading)
	text = text[i:]
	start := strings.Index(text, "```y") // yml or yaml
	require.GreaterOrEqual(t, start, 0)
	text = text[start:]
	text = text[strings.Index(text, "\n")+1:]
	return text[:strings.Index(text, "```")]
}

// TestSpecificationChain decodes the specification's complete example, a file of four
// documents: the outer temporal_ordered correlation refers to another correlation, which
// Build refuses at the reference; the inner event_count builds over its detection rule.
func TestSpecificationChain(t *testing.T) {
	text := specExample(t, "### Failed Logins Followed by Successful Login")
	rules, diags := sigma.Decode("mr_failed_then_success.yml", []byte(text))
	require.False(t, diags.HasErrors(), "%v", diags)
	require.Len(t, rules, 4)
	outer, diags := Decode(rules[0])
	require.Empty(t, diags)
	inner, diags := Decode(rules[1])
	require.Empty(t, diags)
	assert.Equal(t, TemporalOrdered, outer.Type)
	assert.Equal(t, []string{"multiple_failed_login", "successful_login"}, Referenced(outer))

	plans := map[string]*Base{}
	for _, r := range rules[2:] {
		plans[r.Name.Value] = &Base{Plan: &plan.Plan{ID: r.ID.Value, Kind: plan.KindDetection,
			Channels: []*plan.Channel{{ID: "c1", LogSource: "WinEventLog:Security", Selector: "true"}}}}
	}
	lookup := func(ref string) (*Base, bool) { b, ok := plans[ref]; return b, ok }
	p, err := Build(inner, lookup)
	require.NoError(t, err)
	assert.Equal(t, "(channels.c1.count) >= 10", p.Correlation.Condition)
	plans["multiple_failed_login"] = &Base{Plan: p}
	_, err = Build(outer, lookup)
	assert.ErrorContains(t, err, `mr_failed_then_success.yml:12:11: correlation rule "multiple_failed_login" is itself a correlation`)
}

// TestSpecificationAliases builds the specification's aliases example over two rules of
// one log source: each channel reads internal_ip and remote_ip from its own fields.
func TestSpecificationAliases(t *testing.T) {
	text := "title: aliases\n" + specExample(t, "The correlation rule\n")[len("title: —\nid: —\n"):]
	c := decodeOne(t, text)
	base := func(id string) *Base {
		return &Base{Plan: &plan.Plan{ID: id, Kind: plan.KindDetection, Channels: []*plan.Channel{{ID: "c1", LogSource: "ecs", Selector: "true"}}}}
	}
	p, err := Build(c, func(ref string) (*Base, bool) { return base(ref), true })
	require.NoError(t, err)
	assert.Equal(t, []string{"internal_ip", "remote_ip"}, p.Correlation.GroupBy)
	assert.Equal(t, []string{"destination.ip", "source.ip"}, p.Channels[0].GroupBy)
	assert.Equal(t, []string{"source.ip", "destination.ip"}, p.Channels[1].GroupBy)
	assert.Equal(t, `"destination.ip" in event && event["destination.ip"] != null && "source.ip" in event && event["source.ip"] != null`, p.Channels[0].Predicate)
	_, err = runtimeNew(&plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{p}})
	require.NoError(t, err)
}
