// Command decodejson is the decoding baseline of bench/whole.sh: it reads JSON lines (files,
// or stdin without any), decodes each non-empty line into a map[string]any with
// encoding/json, and prints how many it decoded. A whole process that reads and decodes the
// lines a `stixcel run` reads, and does nothing else with them.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// maxLine is the longest line read, as stixcel's reader allows.
const maxLine = 16 << 20

func main() {
	n, err := decodeFiles(os.Args[1:], os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "decodejson:", err)
		os.Exit(2)
	}
	fmt.Printf("decodejson: %d lines decoded\n", n)
}

// decodeFiles decodes the lines of every file named, or of stdin when none is.
func decodeFiles(names []string, stdin io.Reader) (int, error) {
	if len(names) == 0 {
		return decodeLines(stdin, "<stdin>")
	}
	total := 0
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return total, err
		}
		n, err := decodeLines(f, name)
		f.Close()
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// decodeLines decodes every non-empty line of r into a map; name is cited in errors.
func decodeLines(r io.Reader, name string) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	n, line := 0, 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return n, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return n, nil
}
