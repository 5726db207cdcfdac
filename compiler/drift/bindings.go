package drift

import (
	"fmt"
	"strings"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/pack"
)

// BindingDrift is a pack binding whose analytic changed between the two releases, with what
// changed that it relies on.
type BindingDrift struct {
	File     string   `json:"file"`
	Analytic string   `json:"analytic"`
	Why      []string `json:"why"`
}

// CheckBindings adds to the report the bindings whose analytic changed, or was removed,
// revoked or deprecated, in the new release: each with the changes, the channels it binds
// marked as bound. It returns how many drifted.
//
// A binding whose written_for fingerprint is that of the analytic in the new release is up
// to date (`stixcel new --update` wrote it against that release) and has not drifted,
// whatever changed between the releases; one whose fingerprint is another has, even when
// the analytic is the same in both (it was written for a third release). A binding without
// a fingerprint is judged by the changes between the releases alone.
func (r *Report) CheckBindings(bindings []*pack.Binding) int {
	changed := map[string]*AnalyticDrift{}
	for _, d := range r.Changed {
		changed[d.ID] = d
	}
	gone := map[string]string{}
	for what, ids := range map[string][]string{"removed": r.Removed, "revoked": r.Revoked, "deprecated": r.Deprecated} {
		for _, id := range ids {
			gone[id] = what
		}
	}
	r.Bindings, r.UpToDate = []BindingDrift{}, nil
	for _, b := range bindings {
		id := b.Analytic.Value
		var why []string
		if what, ok := gone[id]; ok {
			why = []string{"the analytic was " + what + " in the new release"}
		} else if fp, ok := r.newFingerprint(b); ok {
			why = fingerprintWhy(b, fp, changed[id])
			if why == nil && changed[id] != nil {
				r.UpToDate = append(r.UpToDate, b.File)
			}
		} else if d := changed[id]; d != nil {
			why = bindingWhy(d, b)
		}
		if len(why) > 0 {
			r.Bindings = append(r.Bindings, BindingDrift{File: b.File, Analytic: id, Why: why})
		}
	}
	return len(r.Bindings)
}

// CheckPacks loads the bindings of the pack directories and checks them (CheckBindings). A
// pack with errors stops it: the error names the pack, and its diagnostics are returned.
func (r *Report) CheckPacks(dirs []string) (diag.Diagnostics, error) {
	var bindings []*pack.Binding
	for _, dir := range dirs {
		p := pack.FromDir(dir)
		if p.Diagnostics.HasErrors() {
			return p.Diagnostics, fmt.Errorf("pack %s has errors", dir)
		}
		bindings = append(bindings, p.Bindings...)
	}
	r.CheckBindings(bindings)
	return nil, nil
}

// Drifted is the verdict of a comparison with bindings (CheckBindings): an error counting
// the bindings that drifted between the releases, naming them by their files (the CLI's exit
// 1); nil when none did.
func (r *Report) Drifted() error {
	if len(r.Bindings) == 0 {
		return nil
	}
	return fmt.Errorf("%d bindings drifted between %s and %s: review them, then stixcel new --update",
		len(r.Bindings), strings.Join(r.Old.Files, ", "), strings.Join(r.New.Files, ", "))
}

// newFingerprint is the fingerprint of the binding's analytic in the new release, when the
// binding records one to compare it with and the new release has the analytic.
func (r *Report) newFingerprint(b *pack.Binding) (string, bool) {
	if b.Fingerprint.Value == "" || r.now == nil {
		return "", false
	}
	a := r.now.Analytic(b.Analytic.Value)
	if a == nil {
		return "", false
	}
	return Fingerprint(a), true
}

// fingerprintWhy words why a binding with a fingerprint drifted: nothing when its fingerprint
// is the new release's, else the changes between the releases (d, nil when there are none)
// or, without any, that it was written for another release.
func fingerprintWhy(b *pack.Binding, now string, d *AnalyticDrift) []string {
	switch {
	case b.Fingerprint.Value == now:
		return nil
	case d != nil && d.ChannelChange != "" || d != nil && d.MutableElements != nil:
		return bindingWhy(d, b)
	}
	return []string{fmt.Sprintf("written_for fingerprint %s is not the new release's %s: the binding was written for another release; review it, then stixcel new --update %s",
		b.Fingerprint.Value, now, b.File)}
}

// bindingWhy words the changes of d a binding relies on: its bound channels, the positions
// of all of them, its parameters (mutable elements), its strategy and techniques.
func bindingWhy(d *AnalyticDrift, b *pack.Binding) []string {
	bound := map[string]bool{}
	for _, cb := range b.Channels {
		bound[cb.ID.Value] = true
	}
	var why []string
	if d.ChannelChange == ChannelsCount {
		why = append(why, "the number of channels changed: positions (c1, c2, ...) may name other log sources")
	}
	for _, c := range d.Channels {
		line := channelLine(c)
		if bound[c.ID] {
			line = "bound " + line
		}
		why = append(why, line)
	}
	if e := d.MutableElements; e != nil {
		why = append(why, fmt.Sprintf("mutable elements:%s%s%s", names(" added", e.Added), names(" removed", e.Removed), names(" described anew", e.Changed)))
	}
	if d.Strategy != nil {
		why = append(why, fmt.Sprintf("strategy: %s → %s", d.Strategy.Old, d.Strategy.New))
	}
	if t := d.Techniques; t != nil {
		why = append(why, "techniques:"+names(" added", t.Added)+names(" removed", t.Removed))
	}
	return why
}
