// Package sigma decodes Sigma rules (specification v2.x) into a typed syntax tree with the
// position of every part, the front end of compiling Sigma rules into plans (docs/sigma.md).
//
// Decode reads one file: a plain file is one rule; a file of several YAML documents is a
// rule collection, where a document with `action: global` is merged into every following
// document, `action: reset` drops it, and `action: repeat` repeats the previous rule with its
// own keys merged in. Each Rule keeps its metadata, log source, detection and custom
// top-level keys. A detection is its named searches (a map is the AND of its field
// matchers, a list of maps the OR of them, a list of plain values keywords) and its
// condition, kept as text with its position for the condition parser. A field matcher holds
// its field, its value modifiers (every modifier of the specification's appendix, checked
// against its neighbours and values) and its values, strings parsed into literal segments
// and the wildcards `*` and `?`. Expand applies the modifiers that are pure functions of a
// value (contains, startswith, endswith, windash, base64, base64offset, utf16le, utf16be,
// utf16, wide).
//
// Correlation rules (`correlation:`) and filter rules (`filter:`) are recognised by Kind and
// keep their body as a raw node with its position; decoding their bodies is a later step.
// Errors are diag.Diagnostics at file:line:col naming the construct; decoding goes on after
// one, so a file reports all of its errors at once.
package sigma
