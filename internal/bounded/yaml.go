package bounded

import (
	"bytes"
	"fmt"
)

// YAMLLimits are the limits CheckYAML applies.
type YAMLLimits struct {
	Size, Depth, Nodes, Keys int
}

// DefaultYAML are the limits for stixcel's YAML files (see the constants).
var DefaultYAML = YAMLLimits{Size: MaxYAMLSize, Depth: MaxYAMLDepth, Nodes: MaxYAMLNodes, Keys: MaxYAMLKeys}

// CheckYAML checks a YAML file before a parser sees it: its size, the depth of its
// collections (block levels by indentation and "- " entries, plus flow brackets), its
// nodes (scalars, "- " entries, keys, brackets and commas: about goccy's tokens) and the keys of each block mapping. It is a
// line scanner, not a parser: it understands comments, quoted and block scalars well
// enough to skip them, and errs towards counting too much, so that a file a real user
// writes passes and a hostile one fails before the parser's time and memory blow up. The
// error is a *LimitError with File empty (the caller knows the file).
func CheckYAML(data []byte, lim YAMLLimits) error {
	if len(data) > lim.Size {
		return &LimitError{Offset: int64(lim.Size), Msg: fmt.Sprintf("the file is larger than the YAML size limit of %s", Size(int64(lim.Size)))}
	}
	s := &yamlScan{lim: lim, data: data, blockAt: -2}
	for s.at < len(data) {
		end := bytes.IndexByte(data[s.at:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += s.at
		}
		if err := s.scanLine(end); err != nil {
			return err
		}
		s.at, s.line = end+1, s.line+1
	}
	return nil
}

// level is one open block collection: the column of its entries and how many keys it has.
type level struct{ col, keys int }

type yamlScan struct {
	lim     YAMLLimits
	data    []byte
	at      int // offset of the current line
	line    int // 0-based
	levels  []level
	flow    int  // open flow brackets
	quote   byte // the open quote of a quoted scalar going on over lines, or 0
	blockAt int  // inside a block scalar, the column its lines must be deeper than; else -2
	nodes   int
}

// scanLine scans the line data[s.at:end].
func (s *yamlScan) scanLine(end int) error {
	line := s.data[s.at:end]
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	blank := len(bytes.TrimRight(line[indent:], " \t\r")) == 0
	if s.blockAt > -2 {
		if blank || indent > s.blockAt {
			return nil
		}
		s.blockAt = -2
	}
	if s.quote != 0 || s.flow > 0 {
		return s.scanValue(line, 0)
	}
	if blank || line[indent] == '#' {
		return nil
	}
	if indent == 0 && (bytes.HasPrefix(line, []byte("---")) || bytes.HasPrefix(line, []byte("..."))) &&
		(len(line) == 3 || line[3] == ' ' || line[3] == '\r') {
		s.levels = s.levels[:0]
		return s.scanValue(line, 3)
	}
	return s.scanBlock(line, indent)
}

// scanBlock scans a line in block context from its content at col: "- " entries, a key,
// then the value.
func (s *yamlScan) scanBlock(line []byte, col int) error {
	for col < len(line) && (line[col] == '-' || line[col] == '?') && (col+1 == len(line) || isSpace(line[col+1])) {
		if err := s.open(line, col, line[col] == '?'); err != nil {
			return err
		}
		col++
		for col < len(line) && line[col] == ' ' {
			col++
		}
	}
	if col == len(line) {
		return nil
	}
	if value, ok := keyEnd(line, col); ok {
		if err := s.open(line, col, true); err != nil {
			return err
		}
		return s.scanValue(line, value)
	}
	return s.scanValue(line, col)
}

// open records a block entry at col: a key (of a mapping) or a "- " entry (of a sequence).
func (s *yamlScan) open(line []byte, col int, key bool) error {
	for len(s.levels) > 0 && s.levels[len(s.levels)-1].col > col {
		s.levels = s.levels[:len(s.levels)-1]
	}
	if n := len(s.levels); n == 0 || s.levels[n-1].col < col {
		s.levels = append(s.levels, level{col: col})
		if len(s.levels)+s.flow > s.lim.Depth {
			return s.errorAt(col, fmt.Sprintf("YAML nested deeper than the depth limit of %d", s.lim.Depth))
		}
	}
	top := &s.levels[len(s.levels)-1]
	if key {
		top.keys++
		if top.keys > s.lim.Keys {
			return s.errorAt(col, fmt.Sprintf("more keys in one mapping than the limit of %d", s.lim.Keys))
		}
	}
	return s.count(col, 1+boolInt(key))
}

// scanValue scans line[i:] token by token: quoted scalars, flow brackets, comments, plain
// scalars, and a block scalar indicator, which makes the lines below it text. Inside a plain
// scalar nothing nests or quotes: it runs to the end of the line, a comment, or in flow
// context to a comma, a closing bracket or ": ".
func (s *yamlScan) scanValue(line []byte, i int) error {
	plain, afterSpace := false, true
	for ; i < len(line); i++ {
		if s.quote != 0 {
			i = s.skipQuoted(line, i) - 1
			afterSpace = false
			continue
		}
		c := line[i]
		space := isSpace(c) || c == '\r'
		if err := s.token(line, i, c, space, afterSpace, &plain); err != nil {
			return err
		}
		if c == '#' && afterSpace || s.blockAt > -2 {
			return nil
		}
		afterSpace = space
	}
	return nil
}

// token handles the byte c at line[i] of a value; plain says whether a plain scalar is
// going on, and is updated.
func (s *yamlScan) token(line []byte, i int, c byte, space, afterSpace bool, plain *bool) error {
	switch {
	case space || c == '#' && afterSpace:
	case s.flow > 0 && c == ',':
		*plain = false
		return s.count(i, 1)
	case s.flow > 0 && (c == ']' || c == '}'):
		*plain = false
		s.flow--
	case *plain:
		if s.flow > 0 && c == ':' && (i+1 == len(line) || isSpace(line[i+1])) {
			*plain = false
		}
	case c == '[' || c == '{':
		s.flow++
		if len(s.levels)+s.flow > s.lim.Depth {
			return s.errorAt(i, fmt.Sprintf("YAML nested deeper than the depth limit of %d", s.lim.Depth))
		}
		return s.count(i, 1)
	case c == '"' || c == '\'':
		s.quote = c
		return s.count(i, 1)
	case (c == '|' || c == '>') && s.flow == 0:
		s.blockAt = 0
		if n := len(s.levels); n > 0 {
			s.blockAt = s.levels[n-1].col
		}
	default:
		*plain = true
		return s.count(i, 1)
	}
	return nil
}

// skipQuoted moves past the quoted scalar's bytes from line[i], to just after its closing
// quote or to the end of the line ("" and ” escape, as \ does in double quotes).
func (s *yamlScan) skipQuoted(line []byte, i int) int {
	for i < len(line) {
		c := line[i]
		switch {
		case c == '\\' && s.quote == '"':
			i += 2
			continue
		case c == s.quote && s.quote == '\'' && i+1 < len(line) && line[i+1] == '\'':
			i += 2
			continue
		case c == s.quote:
			s.quote = 0
			return i + 1
		}
		i++
	}
	return len(line)
}

// keyEnd reports whether a block key starts at line[col] ("key:" followed by a space or
// the end of the line, the key plain or quoted), and where its value starts.
func keyEnd(line []byte, col int) (int, bool) {
	i := col
	if q := line[i]; q == '"' || q == '\'' {
		close := bytes.IndexByte(line[i+1:], q)
		if close < 0 {
			return 0, false
		}
		i += close + 2
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if i < len(line) && line[i] == ':' && (i+1 == len(line) || isSpace(line[i+1]) || line[i+1] == '\r') {
			return i + 1, true
		}
		return 0, false
	}
	if line[i] == '[' || line[i] == '{' || line[i] == '#' {
		return 0, false
	}
	for ; i < len(line); i++ {
		switch {
		case line[i] == '#' && i > col && isSpace(line[i-1]):
			return 0, false
		case line[i] == ':' && (i+1 == len(line) || isSpace(line[i+1]) || line[i+1] == '\r'):
			return i + 1, true
		}
	}
	return 0, false
}

// count adds n nodes, failing past the limit.
func (s *yamlScan) count(col, n int) error {
	s.nodes += n
	if s.nodes > s.lim.Nodes {
		return s.errorAt(col, fmt.Sprintf("more YAML nodes than the limit of %d", s.lim.Nodes))
	}
	return nil
}

func (s *yamlScan) errorAt(col int, msg string) *LimitError {
	return &LimitError{Offset: int64(s.at + col), Line: s.line + 1, Col: col + 1, Msg: msg}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
