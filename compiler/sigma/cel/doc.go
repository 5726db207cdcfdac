// Package sigmacel compiles a Sigma rule's detection into one CEL boolean expression over
// stixcel's normalized events (`event.Field`), for one mapped target of its log source
// (docs/sigma.md).
//
// Compile gives the detection only: the condition tree over the rule's searches, each field
// read under the target's event field name. Selecting the target's events (log source,
// event codes, conditions) is the caller's, and Selector gives that expression, so a plan can
// put it in a channel's selector and the detection in its predicate.
//
// Semantics, decided here:
//
//   - Strings match case-insensitively unless `cased`. A value whose literal text is ASCII and
//     whose wildcards sit only at its ends compiles to string tests over the lowered event
//     value with the value lowered at compile time (`event.F.lowerAscii().contains('x')`):
//     ASCII folding. Any other value (non-ASCII text, a `?`, an inner `*`) compiles to an
//     RE2 `(?i)` match, which folds Unicode (simple folding). The two differ only where an
//     event writes U+212A KELVIN SIGN or U+017F LONG S for an ASCII k or s. Values produced by
//     `base64`/`base64offset` compare case-sensitively: base64 text is case-significant.
//   - Wildcards: `*` any run of characters (newlines included), `?` one character.
//   - A list of values is their OR, with `all` their AND; `neq` holds when the field differs
//     from every value. A detection over celenv's cost limit or CEL's size limit written one
//     test per value is written compact instead, with the same answers: a matcher's plain
//     literal values as one membership test (`event.F.lowerAscii() in [...]`), one
//     `containsAny([...])` (celenv's one-pass search) and one RE2 alternation each for
//     startswith and endswith, over the lowered field.
//   - A field test holds only on events that carry the field: `has(event.F) && ...`, so an
//     event without it makes the test false, never an evaluation error; `null` holds when the
//     field is absent or null; `exists: true/false` tests presence only.
//   - String tests read the field as a string: on an event holding a number or a boolean
//     there they are an evaluation error, which the runtime counts as no match.
//   - Numbers match the event's number or its decimal text (`event.F == 4688 ||
//     event.F == '4688'`); `lt`, `lte`, `gt`, `gte` compare numbers. Booleans match the
//     event's boolean or its text (`true`, `'true'`, `'True'`, `'TRUE'`).
//   - `re` is RE2 (`i`, `m`, `s` as inline flags), unanchored as Sigma's backends match it.
//   - `cidr` compiles to a match of the address text: an IPv4 network's dotted quads (an
//     IPv4-mapped `::ffff:a.b.c.d` is not matched); an IPv6 network by the hextets its prefix
//     fixes, exact when none of them can be zero (fe80::/10, fc00::/7), and a /128 address in
//     its canonical and its fully written forms (`::1`, `0:0:0:0:0:0:0:1`). Other IPv6
//     networks (2603:1006::/40, whose third hextet may be compressed away) parse the address
//     with celenv's network functions (`isIP(event.F) && cidr('...').containsIP(event.F)`),
//     which accept any spelling but a zone or the IPv4-mapped form.
//   - `fieldref` compares the two fields' values exactly.
//   - A field the target lacks (mapping.Target.Carries) is unknown on its events. Its test
//     is replaced by the constant that can never make the rule match: false where the test
//     stands positively, true under an odd number of `not`s. The compiled rule then matches
//     only events on which the rule holds whatever the missing field's value: it never
//     inverts into matching every event under `not`. A rule left constant false on the target
//     is a *NeverMatchesError (errors.Is ErrNeverMatches) naming the fields, so the caller
//     skips the target loudly. A detection over CEL's size limit (MaxExpressionSize) is an
//     error too.
//   - A keyword search (values without a field) holds when some string value of the event
//     contains a value (wildcards as above; `all` and `cased` apply):
//     `event.anyStringMatches('(?is)a|b')`, celenv's event-wide search, one per value under
//     `all`. Case folds as RE2's (?i) does. Values that are numbers or booleans are not
//     searched.
//   - The time modifiers (minute ... year) and `expand` placeholders are not compiled yet:
//     each is an error naming the construct at its file:line:col, never a silent skip.
package sigmacel
