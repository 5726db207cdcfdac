// Package bench compares stixcel's runtime with github.com/bradleyjkemp/sigma-go on the same
// synthetic pack and events (internal/synth). It is its own module so that the main module
// does not depend on sigma-go; it holds only benchmarks and the test that both engines match
// the same events.
package bench
