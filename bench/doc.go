// Package bench compares stixcel's runtime with github.com/bradleyjkemp/sigma-go on the same
// synthetic pack and events (internal/synth). It is its own module so that the main module
// does not depend on sigma-go; it holds benchmarks, the test that both engines match the
// same events, the differential test of sigmacel against sigma-go over SigmaHQ's Windows
// rules on real events (oracle_test.go, which needs STIXCEL_SHARED), the engine's memory per
// plan (memory_test.go), and the baselines whole.sh times as whole processes beside `stixcel
// run` (cmd/decodejson, cmd/sigmago).
package bench
