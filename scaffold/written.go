// Package scaffold writes pack files for people to fill in and keep: the skeleton of a
// binding for an analytic (stixcel new) and the written_for block that records what a
// binding was written against (stixcel new --update). It writes YAML as text, so that the
// comments and layout of a file a person edited survive an update.
package scaffold

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/compiler/drift"
)

// WrittenFor is the long form of written_for for the analytic as it is now: its version,
// the fingerprint of its channels and mutable elements, and each channel's log source and
// text, so that a later release's changes can be shown channel by channel.
func WrittenFor(a *attack.Analytic) string {
	var b strings.Builder
	b.WriteString("written_for:                # what this binding was written against; stixcel new --update refreshes it\n")
	fmt.Fprintf(&b, "  version: %s\n", quote(a.Version))
	fmt.Fprintf(&b, "  fingerprint: %s\n", quote(drift.Fingerprint(a)))
	if len(a.LogSources) > 0 {
		b.WriteString("  channels:\n")
		for i, ref := range a.LogSources {
			fmt.Fprintf(&b, "    %s: {log_source: %s, channel: %s}\n", drift.ChannelID(i), quote(ref.Name), quote(ref.Channel))
		}
	}
	return b.String()
}

// quote writes s as a YAML double-quoted scalar (JSON's string syntax is a subset of it),
// escaping every character YAML does not allow as it is.
func quote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return escapeUnprintable(strings.TrimSuffix(buf.String(), "\n"))
}

// UpdateWrittenFor replaces the written_for block of a binding file (the top-level key and
// the indented lines under it) with WrittenFor(a), or adds it after the analytic line when
// the file has none. Everything else in the file is kept byte for byte.
func UpdateWrittenFor(src []byte, a *attack.Analytic) ([]byte, error) {
	lines := strings.SplitAfter(string(src), "\n")
	block := WrittenFor(a)
	start, end := topLevelBlock(lines, "written_for:")
	if start < 0 {
		at, _ := topLevelBlock(lines, "analytic:")
		if at < 0 {
			return nil, fmt.Errorf("no top-level analytic: line to put written_for after")
		}
		start, end = at+1, at+1
		if !strings.HasSuffix(lines[at], "\n") {
			lines[at] += "\n"
		}
	}
	var out strings.Builder
	for _, l := range lines[:start] {
		out.WriteString(l)
	}
	out.WriteString(block)
	for _, l := range lines[end:] {
		out.WriteString(l)
	}
	return []byte(out.String()), nil
}

// topLevelBlock finds the top-level key at the start of a line and the end of its block:
// the lines after it that are indented, blank, or comments indented under it. start is -1
// when there is no such key.
func topLevelBlock(lines []string, key string) (start, end int) {
	for i, l := range lines {
		if !strings.HasPrefix(l, key) {
			continue
		}
		end = i + 1
		for end < len(lines) && (strings.HasPrefix(lines[end], " ") || strings.HasPrefix(lines[end], "\t")) {
			end++
		}
		return i, end
	}
	return -1, -1
}
