package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/plan"
)

// searchQuery is what stixcel search filters on; every criterion given must hold. Text
// matches, ignoring case, the analytic's id, name and description, its strategy, its
// techniques (ids and names) and its channels' log source, data component and text.
type searchQuery struct {
	text, technique, platform, logSource, dataComponent, tactic string
}

type searchFlags struct {
	compile compileFlags
	bundles []string
	query   searchQuery
	asJSON  bool
}

// searchHit is one analytic found, as --json writes it.
type searchHit struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"`
	Strategy   string           `json:"strategy"`
	Techniques []plan.Technique `json:"techniques"`
	Platforms  []string         `json:"platforms"`
	Kind       plan.Kind        `json:"kind"`
	Bound      bool             `json:"bound"`
	LogSources []string         `json:"log_sources"`
}

func (c *cli) searchCommand() *cobra.Command {
	var f searchFlags
	cmd := &cobra.Command{
		Use:   "search [TEXT] [--technique T] [--tactic T] [--platform P] [--log-source L] [--data-component D] [--bundle B ...]",
		Short: "Find analytics by text, technique, tactic, platform, log source or data component",
		Long: `Find the analytics of the loaded bundles (the embedded seed when no --bundle is given) by
text (ignoring case, in the id, name, description, strategy, techniques and channels), by
technique (T1003 also matches its sub-techniques), tactic, platform, log source or data
component (id or name). Every criterion given must hold. One line each: id, kind (detection,
selector, inert), whether a binding applies, techniques, platforms and strategy; --json for
pipelines.

Example: stixcel search lsass --platform windows --bundle enterprise-attack.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return inputErr(fmt.Errorf("search takes at most one text (got %d); quote it: stixcel search %q", len(args), strings.Join(args, " ")))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				f.query.text = args[0]
			}
			return c.search(&f)
		},
	}
	f.compile.register(cmd)
	addBundleFlag(cmd, &f.bundles)
	fl := cmd.Flags()
	fl.StringVar(&f.query.technique, "technique", "", "analytics that detect technique `ID` (T1003 includes its sub-techniques)")
	fl.StringVar(&f.query.tactic, "tactic", "", "analytics whose techniques belong to tactic `NAME` (credential-access, Credential Access)")
	fl.StringVar(&f.query.platform, "platform", "", "analytics for platform `NAME` (Windows, Linux, iOS, ...)")
	fl.StringVar(&f.query.logSource, "log-source", "", "analytics with a channel on log source `NAME` (substring, e.g. sysmon)")
	fl.StringVar(&f.query.dataComponent, "data-component", "", "analytics with a channel on data component `ID|NAME` (substring)")
	fl.BoolVar(&f.asJSON, "json", false, "print the analytics as JSON")
	return cmd
}

func (c *cli) search(f *searchFlags) error {
	l, set, err := c.compileLoaded(f.compile.inputs(f.bundles), "")
	if set == nil {
		return err
	}
	var hits []searchHit
	for _, p := range set.Plans {
		a := l.Index.Analytic(p.StixID)
		if f.query.matches(p, a) {
			hits = append(hits, hitOf(p, a))
		}
	}
	if f.asJSON {
		if hits == nil {
			hits = []searchHit{}
		}
		return firstErr(writeJSON(c.stdout, hits), err)
	}
	for _, h := range hits {
		bound := "unbound"
		if h.Bound {
			bound = "bound"
		}
		fmt.Fprintf(c.stdout, "%-7s %-9s %-7s %-22s %-18s %s\n", h.ID, h.Kind, bound, techniqueIDs(h.Techniques), strings.Join(h.Platforms, ","), h.Strategy)
	}
	fmt.Fprintf(c.stderr, "%d %s\n", len(hits), plural(len(hits), "analytic", "analytics"))
	return err
}

func hitOf(p *plan.Plan, a *attack.Analytic) searchHit {
	h := searchHit{ID: p.ID, Name: p.Name, Strategy: strategyText(p, a), Techniques: p.Techniques, Platforms: p.Platforms, Kind: p.Kind}
	for _, ch := range p.Channels {
		h.Bound = h.Bound || ch.Origin == plan.OriginBound
		if !slices.Contains(h.LogSources, ch.LogSource) {
			h.LogSources = append(h.LogSources, ch.LogSource)
		}
	}
	return h
}

func (q searchQuery) matches(p *plan.Plan, a *attack.Analytic) bool {
	return q.matchesText(p, a) &&
		(q.technique == "" || slices.ContainsFunc(p.Techniques, func(t plan.Technique) bool { return techniqueMatches(t.ID, strings.ToUpper(q.technique)) })) &&
		(q.platform == "" || slices.ContainsFunc(p.Platforms, func(pl string) bool { return strings.EqualFold(pl, q.platform) })) &&
		(q.logSource == "" || slices.ContainsFunc(p.Channels, func(ch *plan.Channel) bool { return containsFold(ch.LogSource, q.logSource) })) &&
		(q.dataComponent == "" || slices.ContainsFunc(p.Channels, func(ch *plan.Channel) bool {
			return containsFold(ch.DataComponent.ID+" "+ch.DataComponent.Name, q.dataComponent)
		})) &&
		(q.tactic == "" || slices.ContainsFunc(p.Techniques, func(t plan.Technique) bool { return hasTactic(t, q.tactic) }))
}

func (q searchQuery) matchesText(p *plan.Plan, a *attack.Analytic) bool {
	if q.text == "" {
		return true
	}
	fields := []string{p.ID, p.Name, strategyText(p, a)}
	if a != nil {
		fields = append(fields, a.Description)
	}
	for _, t := range p.Techniques {
		fields = append(fields, t.ID, t.Name)
	}
	for _, ch := range p.Channels {
		fields = append(fields, ch.LogSource, ch.DataComponent.Name, ch.Channel)
	}
	return slices.ContainsFunc(fields, func(s string) bool { return containsFold(s, q.text) })
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// hasTactic reports whether the technique belongs to the tactic, named by its ATT&CK short
// name (credential-access) or its name (Credential Access).
func hasTactic(t plan.Technique, tactic string) bool {
	want := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(tactic)), " ", "-")
	return slices.ContainsFunc(t.Tactics, func(have string) bool {
		return strings.ReplaceAll(strings.ToLower(have), " ", "-") == want
	})
}
