package attack

import (
	"bytes"
	"io"
	"os"
	"regexp"
)

// sniffSize is how much of a file LooksLikeBundle reads.
const sniffSize = 4096

// stixStart matches the opening of an ATT&CK STIX document: a bundle, or an ATT&CK object.
var stixStart = regexp.MustCompile(`"type"\s*:\s*"(bundle|x-mitre-[a-z-]+|attack-pattern)"`)

// LooksLikeBundle reports whether path is a regular file that opens as ATT&CK STIX JSON: a
// JSON object (after a UTF-8 BOM and white space) whose first 4 KiB name the type bundle,
// attack-pattern or x-mitre-*. It is how the CLI tells a bundle given where events or a pack
// directory are wanted, and how init finds bundles. It reads at most 4 KiB and never opens
// anything but a regular file (a FIFO would block, and its bytes would be lost to the
// command that reads it).
func LooksLikeBundle(path string) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, sniffSize)
	n, _ := io.ReadFull(f, head)
	head = bytes.TrimLeft(bytes.TrimPrefix(head[:n], []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(head) > 0 && head[0] == '{' && stixStart.Match(head)
}
