package plan

import "fmt"

// Summary is the line `stixcel compile` prints on stderr about the set: how many plans of
// each kind (and of the selector plans, how many are hunt sources), and how many of the
// channels have logic, derived from their text or bound by a pack.
func (s *Set) Summary() string {
	kinds := map[Kind]int{}
	refs, derived, bound, hunts, rules := 0, 0, 0, 0, 0
	for _, p := range s.Plans {
		if p.Origin == OriginSigma {
			rules++
			continue
		}
		kinds[p.Kind]++
		if p.Hunt {
			hunts++
		}
		for _, ch := range p.Channels {
			refs++
			switch {
			case ch.Origin == OriginBound:
				bound++
			case ch.Selector != "":
				derived++
			}
		}
	}
	share := 0.0
	if refs > 0 {
		share = 100 * float64(derived+bound) / float64(refs)
	}
	text := fmt.Sprintf("compiled %d plans (%d detection, %d selector of which %d hunt sources, %d inert); %d/%d channels with logic (%.1f%%: %d derived, %d bound)",
		len(s.Plans)-rules, kinds[KindDetection], kinds[KindSelector], hunts, kinds[KindInert],
		derived+bound, refs, share, derived, bound)
	if rules > 0 {
		text += fmt.Sprintf("; %d plans from Sigma rules", rules)
	}
	return text
}
