package synth

import (
	"fmt"
	"strings"
)

// SigmaRules is New(DefaultSeed, n).Sigma().
func SigmaRules(n int) []SigmaRule { return New(DefaultSeed, n).Sigma() }

// SigmaRule is one channel of the pack as a Sigma rule: Sigma has one log source per rule,
// so a rule with three channels becomes three Sigma rules.
type SigmaRule struct {
	Rule, Channel string // the synthetic analytic and channel it comes from
	LogSource     string // the normalized log_source its events carry
	Codes         []int64
	// CaseSensitive says the rule must be evaluated case-sensitively (the channel does not
	// lower-case): Sigma compares case-insensitively by default, and sigma-go has an option
	// for it rather than a modifier.
	CaseSensitive bool
	YAML          []byte
}

// Sigma returns the pack's channels as Sigma rules: logsource product windows with service
// sysmon or security; one `selection` holding EventCode and the channel's tests
// (Field|endswith, Field|contains, Field|startswith, or a list for membership);
// condition: selection.
func (p *Pack) Sigma() []SigmaRule {
	var out []SigmaRule
	for _, r := range p.Rules {
		for _, ch := range r.Channels {
			out = append(out, SigmaRule{
				Rule: r.ID, Channel: ch.ID, LogSource: ch.LogSource, Codes: ch.Codes,
				CaseSensitive: !ch.Lower, YAML: ch.sigma(r),
			})
		}
	}
	return out
}

func (ch Channel) sigma(r Rule) []byte {
	service := "sysmon"
	if ch.LogSource == Security {
		service = "security"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "title: %s %s\n", r.ID, ch.ID)
	fmt.Fprintf(&b, "id: %s\n", sigmaID(r.ID, ch.ID))
	b.WriteString("status: experimental\n")
	fmt.Fprintf(&b, "tags:\n  - attack.%s\n", strings.ToLower(r.Technique))
	fmt.Fprintf(&b, "logsource:\n  product: windows\n  service: %s\n", service)
	b.WriteString("detection:\n  selection:\n    EventCode:\n")
	for _, c := range ch.Codes {
		fmt.Fprintf(&b, "      - %d\n", c)
	}
	for _, t := range ch.Tests {
		if t.Op == OpIn {
			fmt.Fprintf(&b, "    %s:\n", t.Field)
			for _, v := range t.Values {
				fmt.Fprintf(&b, "      - %s\n", yamlQuote(v))
			}
			continue
		}
		fmt.Fprintf(&b, "    %s|%s: %s\n", t.Field, strings.ToLower(string(t.Op)), yamlQuote(t.Values[0]))
	}
	b.WriteString("  condition: selection\nlevel: medium\n")
	return []byte(b.String())
}

// sigmaID is a stable UUID-shaped id for a rule's channel.
func sigmaID(rule, channel string) string {
	var h uint64 = 14695981039346656037 // FNV-1a
	for _, c := range []byte(rule + "/" + channel) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(h), uint16(h>>32), uint16(h>>48)&0xfff, uint16(h>>20)&0xfff, h&(1<<48-1))
}

// yamlQuote writes s as a single-quoted YAML scalar: backslashes stay literal.
func yamlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
