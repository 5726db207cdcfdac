//go:build race

package relit

// raceEnabled: the race detector makes sync.Pool drop items, so the regexp package (which
// pools its matchers) allocates where it otherwise does not.
const raceEnabled = true
