// Package diag is stixcel's one diagnostic type: a finding of compile, lint, test or
// loading (Diagnostic), positioned in an input file (Pos), with a severity and a code
// from codes.go. Diagnostics print as text (file:line:col: severity: message with a caret
// line), JSON, or SARIF for CI annotations.
//
// diag is a leaf: it depends on no other package of stixcel, so every package can report
// through it.
package diag
