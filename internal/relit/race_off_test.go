//go:build !race

package relit

const raceEnabled = false
