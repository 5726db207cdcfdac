package compiler

import (
	"fmt"
	"strings"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/compiler/drift"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/pack"
)

// checkWrittenFor compares what a binding was written against with the analytic in the
// bundle (docs/packs.md, "Drift"). The long form of written_for carries a fingerprint of the
// channels and mutable elements and the channels themselves: a changed channel text is a
// warning that shows the channel before and after; a channel whose log source changed, or
// an analytic with another number of channels (positions may have moved), is an error
// (CodeChannelMoved) that keeps the binding out of the plan until a person has updated it.
// A channel pinned to a log source (log_source in the binding's channel) is held to it the
// same way. The short form (a version) is compared by version, and a warning asks for the
// fingerprint.
func (c *compilation) checkWrittenFor(a *attack.Analytic, b *pack.Binding) {
	c.checkPins(a, b)
	switch {
	case b.Fingerprint.Value == "":
		c.warnVersion(a, b)
	case b.Fingerprint.Value != drift.Fingerprint(a):
		c.reportDrift(a, b)
	}
}

// warnVersion handles the short form of written_for.
func (c *compilation) warnVersion(a *attack.Analytic, b *pack.Binding) {
	switch {
	case b.WrittenFor.Value == "":
		return
	case b.WrittenFor.Value != a.Version:
		c.diags.Warnf(b.WrittenFor.Pos, diag.CodeWrittenFor,
			"analytic %s: binding written for version %s, the bundle has version %s (modified %s): review the binding",
			a.ID, b.WrittenFor.Value, a.Version, a.Modified)
	default:
		c.diags.Warnf(b.WrittenFor.Pos, diag.CodeWrittenFor,
			"analytic %s: written_for has a version but no fingerprint, so channel changes within a version go unseen (%s); `stixcel new --update %s` writes it",
			a.ID, "v18.0 to v18.1 changed 322 analytics at version 1.0", b.File)
	}
}

// reportDrift explains a fingerprint that differs, channel by channel when the binding
// recorded its channels.
func (c *compilation) reportDrift(a *attack.Analytic, b *pack.Binding) {
	pos := b.Fingerprint.Pos
	if len(b.WrittenChannels) == 0 {
		c.diags.Warnf(pos, diag.CodeWrittenFor,
			"analytic %s changed since the binding was written (fingerprint %s, now %s) and written_for lists no channels to compare: review the binding, then `stixcel new --update %s`",
			a.ID, b.Fingerprint.Value, drift.Fingerprint(a), b.File)
		return
	}
	if n := len(a.LogSources); n != len(b.WrittenChannels) {
		c.diags.Errorf(pos, diag.CodeChannelMoved,
			"analytic %s has %d channels, the binding was written for %d: positions may have moved, so the binding is not applied until it is reviewed and `stixcel new --update %s` records the channels",
			a.ID, n, len(b.WrittenChannels), b.File)
	}
	channelsChanged := false
	for _, wc := range b.WrittenChannels {
		i := channelIndex(wc.ID.Value)
		if i >= len(a.LogSources) {
			c.diags.Errorf(wc.ID.Pos, diag.CodeChannelMoved, "analytic %s: %s was %s, the analytic has no %s now",
				a.ID, wc.ID.Value, writtenText(wc), wc.ID.Value)
			channelsChanged = true
			continue
		}
		if c.channelDrift(a, wc, a.LogSources[i]) {
			channelsChanged = true
		}
	}
	if !channelsChanged && len(a.LogSources) == len(b.WrittenChannels) {
		c.diags.Warnf(pos, diag.CodeWrittenFor,
			"analytic %s: its mutable elements or data components changed since the binding was written (fingerprint %s, now %s): review the parameters, then `stixcel new --update %s`",
			a.ID, b.Fingerprint.Value, drift.Fingerprint(a), b.File)
	}
}

// channelDrift reports how one recorded channel differs from the analytic's; it reports
// whether it does.
func (c *compilation) channelDrift(a *attack.Analytic, wc *pack.WrittenChannel, now attack.LogSourceRef) bool {
	switch {
	case wc.LogSource.Value != now.Name && !strings.EqualFold(wc.LogSource.Value, now.Name):
		c.diags.Errorf(wc.ID.Pos, diag.CodeChannelMoved,
			"analytic %s: %s was %s, now %s `%s`: the binding is not applied until it is reviewed and `stixcel new --update` records the channel",
			a.ID, wc.ID.Value, writtenText(wc), now.Name, now.Channel)
	case wc.Channel.Value != now.Channel:
		c.diags.Warnf(wc.ID.Pos, diag.CodeWrittenFor, "analytic %s: %s was %s, now `%s`: review the binding",
			a.ID, wc.ID.Value, writtenText(wc), now.Channel)
	case wc.LogSource.Value != now.Name:
		c.diags.Warnf(wc.ID.Pos, diag.CodeWrittenFor, "analytic %s: %s's log source was %s, now %s (letter case only)",
			a.ID, wc.ID.Value, wc.LogSource.Value, now.Name)
	default:
		return false
	}
	return true
}

// checkPins holds the channels a binding pins to a log source to it.
func (c *compilation) checkPins(a *attack.Analytic, b *pack.Binding) {
	for _, cb := range b.Channels {
		if cb.LogSource.Value == "" {
			continue
		}
		i := channelIndex(cb.ID.Value)
		switch {
		case i >= len(a.LogSources):
			// the compiler's channel check reports a channel the analytic lacks
		case !strings.EqualFold(cb.LogSource.Value, a.LogSources[i].Name):
			c.diags.Errorf(cb.LogSource.Pos, diag.CodeChannelMoved,
				"analytic %s: %s is pinned to %s, but the analytic's %s is now %s `%s`: the binding is not applied",
				a.ID, cb.ID.Value, cb.LogSource.Value, cb.ID.Value, a.LogSources[i].Name, a.LogSources[i].Channel)
		}
	}
}

// channelIndex is the position of a channel id (c1 is 0); ids are checked by the pack parser.
func channelIndex(id string) int {
	var n int
	if _, err := fmt.Sscanf(id, "c%d", &n); err != nil || n < 1 {
		return 1 << 30
	}
	return n - 1
}

func writtenText(wc *pack.WrittenChannel) string {
	return fmt.Sprintf("%s `%s`", wc.LogSource.Value, wc.Channel.Value)
}
