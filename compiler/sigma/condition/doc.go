// Package condition parses a Sigma rule's detection.condition into a resolved expression tree.
//
// It implements the Condition section of the Sigma rules specification (v2): search
// identifiers; `and`, `or`, `not` (lowercase, as the specification writes them); parentheses;
// `1 of X` and `all of X`, where X is `them` or a search-identifier pattern with `*` wildcards
// at any position. Precedence, least to most binding: or, and, not, `x of`, parentheses. A
// condition written as a YAML list is the OR of its items (ParseList).
//
// Every name is resolved against the identifiers the rule's detection defines, in their
// declared order: an unknown identifier or a pattern that matches nothing is an error, and an
// `x of` node carries the names it stands for. `them` and wildcard patterns leave out
// identifiers beginning with `_` (the specification's convention), unless the pattern itself
// begins with `_`.
//
// Positions are 1-based line and column (Unicode code points) inside the condition text, the
// convention of yamlpos.String.PosAt, which maps them to file:line:col. The package reads no
// YAML and knows nothing of fields or values; it only decides which search identifiers must
// match.
package condition
