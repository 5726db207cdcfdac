// Package pack decodes stixcel packs (YAML bindings, one per analytic) and parameter profiles,
// keeping the position of every scalar so that later stages can report errors, including
// cel-go errors inside an expression, at file:line:col.
//
// The package checks shape only: known keys, the kind of each value, channel id syntax, one
// binding per analytic in a pack. Whether an analytic exists, how many channels it has,
// parameter types, default values and CEL are the compiler's to check.
//
// Every scalar the compiler may need to point at is a String: its Value, the position of its
// token, and PosAt, which turns a line and column inside the value (a cel-go error location)
// into the absolute file position, for plain, quoted and block scalars alike. Where a field
// expects text, numbers and booleans are taken as written (written_for: 1.10 is "1.10",
// c1: true is the CEL expression true); lists, mappings and null are shape errors.
//
// Diagnostics are diag.Diagnostics with 1-based lines and columns; columns count Unicode code
// points, as goccy/go-yaml and cel-go do. Codes are the Code* constants. Parsing never panics.
package pack
