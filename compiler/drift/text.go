package drift

import (
	"fmt"
	"io"
	"strings"

	"github.com/stixcel/stixcel/internal/termsafe"
)

// WriteText writes the report for people: the counts, then each changed analytic with its
// changes channel by channel, e.g.
//
//	AN0469 Analytic 0469 (1.0 → 1.0): text
//	  c1 WinEventLog:PowerShell: `EventCode=4104` → `EventCode=4103, 4104, 4105, 4106`
func (r *Report) WriteText(w io.Writer) error {
	tw := &textWriter{w: w}
	tw.printf("old: %s (%d analytics)\n", strings.Join(r.Old.Files, ", "), r.Old.Analytics)
	tw.printf("new: %s (%d analytics)\n", strings.Join(r.New.Files, ", "), r.New.Analytics)
	s := r.Summary
	tw.printf("%d added, %d removed, %d revoked, %d deprecated\n", s.Added, s.Removed, s.Revoked, s.Deprecated)
	var by []string
	for _, k := range channelKinds {
		by = append(by, fmt.Sprintf("%d %s", s.ChannelsBy[k], kindText(k)))
	}
	tw.printf("%d analytics changed their channels (%s)\n", s.Channels, strings.Join(by, ", "))
	tw.printf("%d changed their mutable elements, %d their detection strategy, %d their techniques\n",
		s.MutableElements, s.Strategy, s.Techniques)
	tw.list("added", r.Added)
	tw.list("removed", r.Removed)
	tw.list("revoked", r.Revoked)
	tw.list("deprecated", r.Deprecated)
	for _, d := range r.Changed {
		tw.analytic(d)
	}
	if r.Bindings != nil {
		tw.printf("\n%d bindings drifted", len(r.Bindings))
		if n := len(r.UpToDate); n > 0 {
			tw.printf(" (%d more on analytics that changed are up to date: their written_for fingerprint is the new release's)", n)
		}
		tw.printf("\n")
	}
	for _, b := range r.Bindings {
		tw.printf("%s: binding of %s drifted:\n", b.File, b.Analytic)
		for _, w := range b.Why {
			tw.printf("  %s\n", w)
		}
	}
	return tw.err
}

// textWriter keeps the first write error.
type textWriter struct {
	w   io.Writer
	err error
}

func (tw *textWriter) printf(format string, args ...any) {
	if tw.err == nil {
		_, tw.err = io.WriteString(tw.w, termsafe.Text(fmt.Sprintf(format, args...)))
	}
}

func (tw *textWriter) list(what string, ids []string) {
	if len(ids) > 0 {
		tw.printf("%s: %s\n", what, strings.Join(ids, " "))
	}
}

func (tw *textWriter) analytic(d *AnalyticDrift) {
	var what []string
	if d.ChannelChange != "" {
		what = append(what, "channels: "+kindText(d.ChannelChange))
	}
	if d.MutableElements != nil {
		what = append(what, "mutable elements")
	}
	if d.Strategy != nil {
		what = append(what, "strategy")
	}
	if d.Techniques != nil {
		what = append(what, "techniques")
	}
	tw.printf("\n%s %s (%s → %s): %s\n", d.ID, d.Name, d.Version.Old, d.Version.New, strings.Join(what, "; "))
	for _, c := range d.Channels {
		tw.printf("  %s\n", channelLine(c))
	}
	if e := d.MutableElements; e != nil {
		tw.printf("  mutable elements:%s%s%s%s\n", names(" added", e.Added), names(" removed", e.Removed),
			names(" described anew", e.Changed), map[bool]string{true: " reordered"}[e.Order])
	}
	if d.Strategy != nil {
		tw.printf("  strategy: %s → %s\n", d.Strategy.Old, d.Strategy.New)
	}
	if t := d.Techniques; t != nil {
		tw.printf("  techniques:%s%s\n", names(" added", t.Added), names(" removed", t.Removed))
	}
}

// channelLine words one channel's change, e.g. "c2 was WinEventLog:Security `EventCode=4663`,
// now `EventCode=4663, 4670, 4656`".
func channelLine(c ChannelDrift) string {
	switch {
	case c.Old == nil:
		return fmt.Sprintf("%s added: %s", c.ID, channelText(c.New))
	case c.New == nil:
		return fmt.Sprintf("%s removed: was %s", c.ID, channelText(c.Old))
	}
	var now []string
	if c.Old.LogSource != c.New.LogSource {
		now = append(now, c.New.LogSource)
	}
	if c.Old.DataComponent != c.New.DataComponent {
		now = append(now, "("+c.New.DataComponent+")")
	}
	if c.Old.Channel != c.New.Channel {
		now = append(now, "`"+c.New.Channel+"`")
	}
	return fmt.Sprintf("%s was %s, now %s", c.ID, channelText(c.Old), strings.Join(now, " "))
}

func channelText(c *Channel) string {
	return fmt.Sprintf("%s (%s) `%s`", c.LogSource, c.DataComponent, c.Channel)
}

func names(label string, ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return label + " " + strings.Join(ids, ", ")
}

func kindText(k string) string {
	switch k {
	case ChannelsCount:
		return "reference count"
	case ChannelsLogSource:
		return "log source"
	case ChannelsCase:
		return "log source case"
	case ChannelsDataComponent:
		return "data component"
	}
	return "text"
}
