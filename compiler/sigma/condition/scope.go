package condition

import (
	"fmt"
	"strings"
)

// maxListed caps how many defined identifiers an error message lists.
const maxListed = 8

// scope is the search identifiers a rule's detection defines, in declared order.
type scope struct {
	names   []string
	defined map[string]bool
}

func newScope(names []string) *scope {
	s := &scope{names: names, defined: make(map[string]bool, len(names))}
	for _, n := range names {
		s.defined[n] = true
	}
	return s
}

// match returns the identifiers target stands for after `x of`: `them` is every identifier,
// otherwise target is a pattern whose `*` matches any run of characters. Identifiers
// beginning with `_` are left out unless target itself begins with `_`.
func (s *scope) match(target string) []string {
	var out []string
	for _, name := range s.names {
		if strings.HasPrefix(name, "_") && !strings.HasPrefix(target, "_") {
			continue
		}
		if target == "them" || matchWildcard(target, name) {
			out = append(out, name)
		}
	}
	return out
}

// underscoreHint explains an empty match that only identifiers beginning with `_` would fill.
func (s *scope) underscoreHint(target string) string {
	for _, name := range s.names {
		if strings.HasPrefix(name, "_") && (target == "them" || matchWildcard(target, name)) {
			return " (identifiers beginning with _ are left out unless the pattern begins with _)"
		}
	}
	return ""
}

// describe lists the defined identifiers for an error message.
func (s *scope) describe() string {
	switch {
	case len(s.names) == 0:
		return "the detection defines none"
	case len(s.names) > maxListed:
		return fmt.Sprintf("the detection defines %s and %d more",
			strings.Join(s.names[:maxListed], ", "), len(s.names)-maxListed)
	}
	return "the detection defines " + strings.Join(s.names, ", ")
}

// matchWildcard reports whether name matches pattern, where `*` matches any run of
// characters (none included) and every other character matches itself.
func matchWildcard(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	rest := name[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, part)
		if i < 0 {
			return false
		}
		rest = rest[i+len(part):]
	}
	return len(rest) >= len(last) && strings.HasSuffix(rest, last)
}
