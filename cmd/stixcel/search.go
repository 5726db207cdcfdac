package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/catalog"
)

type searchFlags struct {
	compile compileFlags
	bundles []string
	query   catalog.Query
	asJSON  bool
}

func (c *cli) searchCommand() *cobra.Command {
	var f searchFlags
	cmd := &cobra.Command{
		Use:   "search [TEXT] [--technique T] [--tactic T] [--platform P] [--log-source L] [--data-component D] [--bundle B ...]",
		Short: "Find analytics and Sigma rules by text, technique, tactic, platform, log source or data component",
		Long: `Find the analytics of the loaded bundles (the embedded seed when no --bundle is given), and the
Sigma rules of --sigma, by text (ignoring case, in the id, name, description, strategy, a
rule's title, level and file, techniques and channels), by technique (T1003 also matches its
sub-techniques), tactic, platform, log source or data component (id or name). Every criterion
given must hold. One line each: id, kind (detection, selector, inert), whether a binding
applies, techniques, platforms and strategy; a rule's line says sigma and its level and ends
with its title and file. --json for pipelines.

Example: stixcel search lsass --platform windows --bundle enterprise-attack.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return inputErr(fmt.Errorf("search takes at most one text (got %d); quote it: stixcel search %q", len(args), strings.Join(args, " ")))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				f.query.Text = args[0]
			}
			return c.search(&f)
		},
	}
	f.compile.register(cmd)
	addBundleFlag(cmd, &f.bundles)
	fl := cmd.Flags()
	fl.StringVar(&f.query.Technique, "technique", "", "analytics that detect technique `ID` (T1003 includes its sub-techniques)")
	fl.StringVar(&f.query.Tactic, "tactic", "", "analytics whose techniques belong to tactic `NAME` (credential-access, Credential Access)")
	fl.StringVar(&f.query.Platform, "platform", "", "analytics for platform `NAME` (Windows, Linux, iOS, ...)")
	fl.StringVar(&f.query.LogSource, "log-source", "", "analytics with a channel on log source `NAME` (substring, e.g. sysmon)")
	fl.StringVar(&f.query.DataComponent, "data-component", "", "analytics with a channel on data component `ID|NAME` (substring)")
	fl.BoolVar(&f.asJSON, "json", false, "print the analytics as JSON")
	return cmd
}

func (c *cli) search(f *searchFlags) error {
	l, set, err := c.compileLoaded(f.compile.inputs(f.bundles), "")
	if set == nil {
		return err
	}
	hits := catalog.Find(set.Plans, l.Index, f.query)
	if f.asJSON {
		return firstErr(writeJSON(c.stdout, hits), err)
	}
	werr := catalog.WriteText(c.stdout, hits)
	rules := 0
	for _, h := range hits {
		if h.IsRule() {
			rules++
		}
	}
	count := fmt.Sprintf("%d %s", len(hits)-rules, plural(len(hits)-rules, "analytic", "analytics"))
	if rules > 0 {
		count += fmt.Sprintf(", %d Sigma %s", rules, plural(rules, "rule", "rules"))
	}
	fmt.Fprintln(c.stderr, count)
	return firstErr(werr, err)
}
