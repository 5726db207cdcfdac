package attack

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stixcel/stixcel/internal/bounded"
)

// Options control loading.
type Options struct {
	// IncludeRevoked keeps analytics that are revoked or x_mitre_deprecated; by default
	// they are left out and counted in Stats.Skipped.
	IncludeRevoked bool
	// Stdin is read for the path "-"; nil means os.Stdin.
	Stdin io.Reader
}

// Source is one bundle's bytes and the name errors and warnings give it.
type Source struct {
	Name string
	Data []byte
}

// StdinName is the Source name of a bundle read from standard input.
const StdinName = "<stdin>"

// LoadPaths loads bundles from files, directories (every *.json below them, recursively, in
// lexical order) and "-" (standard input), in the order given.
func LoadPaths(paths []string, opts Options) (*Index, []Warning, error) {
	sources, err := ReadPaths(paths, opts.Stdin)
	if err != nil {
		return nil, nil, err
	}
	return Load(sources, opts)
}

// Load builds the index from bundles already in memory, in the order given (which decides
// ties between versions of an object with the same `modified`).
func Load(sources []Source, opts Options) (*Index, []Warning, error) {
	stats := Stats{Files: len(sources), Types: map[string]int{}}
	scanned := make([][]*rawObject, len(sources))
	for i, src := range sources {
		objs, err := scanSource(src)
		if err != nil {
			return nil, nil, err
		}
		scanned[i] = objs
		stats.Objects += len(objs)
	}
	kept, dropped := dedupe(scanned)
	stats.Duplicates = dropped

	var parsed []parsedObject
	unknown := map[string][]*rawObject{}
	for _, file := range groupByFile(kept) {
		var read []*rawObject
		for _, o := range file {
			stats.Types[o.typ]++
			switch {
			case readsType(o.typ):
				read = append(read, o)
			case !knownType(o.typ):
				unknown[o.typ] = append(unknown[o.typ], o)
				fallthrough
			default:
				stats.Ignored++
			}
		}
		objs, err := parseSTIX(file[0].file, read)
		if err != nil {
			return nil, nil, err
		}
		byID := make(map[string]*rawObject, len(read))
		for _, o := range read {
			byID[o.id] = o
		}
		for _, obj := range objs {
			parsed = append(parsed, parsedObject{raw: byID[string(obj.GetID())], obj: obj})
		}
	}
	b := newBuilder(parsed)
	ix := b.index(opts.IncludeRevoked)
	b.summarise()
	ix.Stats = stats
	ix.Stats.Skipped = b.skipped
	return ix, append(unknownTypeWarnings(unknown), b.warnings...), nil
}

// unknownTypeWarnings says, once per type, which objects of types neither STIX nor ATT&CK
// defines were ignored, naming the first of them; past maxWarningsOfKind types, one warning
// counts the rest.
func unknownTypeWarnings(unknown map[string][]*rawObject) []Warning {
	types := make([]string, 0, len(unknown))
	for t := range unknown {
		types = append(types, t)
	}
	sort.Strings(types)
	warnings := make([]Warning, 0, min(len(types), maxWarningsOfKind+1))
	for i, t := range types {
		first := unknown[t][0]
		if i == maxWarningsOfKind {
			objects := 0
			for _, t := range types[i:] {
				objects += len(unknown[t])
			}
			warnings = append(warnings, newWarning(first.file, "", fmt.Sprintf("... and %s more unknown types (%s %s) ignored",
				thousands(len(types)-i), thousands(objects), plural(objects, "object", "objects"))))
			break
		}
		warnings = append(warnings, newWarning(first.file, first.id,
			fmt.Sprintf("%d %s of unknown type %q ignored", len(unknown[t]), plural(len(unknown[t]), "object", "objects"), t)))
	}
	return warnings
}

// groupByFile splits objects in load order into runs of the same file.
func groupByFile(objs []*rawObject) [][]*rawObject {
	var files [][]*rawObject
	for i, o := range objs {
		if i == 0 || o.file != objs[i-1].file {
			files = append(files, nil)
		}
		files[len(files)-1] = append(files[len(files)-1], o)
	}
	return files
}

// ReadPaths reads the files LoadPaths would load. stdin is read for "-" (nil means os.Stdin).
func ReadPaths(paths []string, stdin io.Reader) ([]Source, error) {
	var sources []Source
	for _, p := range paths {
		read, err := readPath(p, stdin)
		if err != nil {
			return nil, err
		}
		sources = append(sources, read...)
	}
	return sources, nil
}

func readPath(path string, stdin io.Reader) ([]Source, error) {
	if path == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		return readStream(StdinName, stdin)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return readFiles([]string{path})
	}
	files, err := jsonFilesUnder(path)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.json files in directory", path)
	}
	return readFiles(files)
}

// readStream reads a bundle from r, stopping at bounded.MaxBundleSize and at the first byte
// that cannot be part of a JSON bundle or nests it deeper than bounded.MaxJSONDepth.
func readStream(name string, r io.Reader) ([]Source, error) {
	check := bounded.NewJSON(name, bounded.MaxJSONDepth)
	data, err := bounded.Read(name, r, bounded.MaxBundleSize, "bundle", check.Write)
	if err != nil {
		return nil, readError(name, data, err)
	}
	return []Source{{Name: name, Data: data}}, nil
}

// jsonFilesUnder lists the *.json files below dir in lexical order (WalkDir's order).
func jsonFilesUnder(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".json") {
			files = append(files, p)
		}
		return nil
	})
	return files, err
}

// readFiles reads bundle files as readStream reads a stream; a file larger than
// bounded.MaxBundleSize is refused before it is read.
func readFiles(files []string) ([]Source, error) {
	sources := make([]Source, 0, len(files))
	for _, f := range files {
		check := bounded.NewJSON(f, bounded.MaxJSONDepth)
		data, err := bounded.ReadFile(f, bounded.MaxBundleSize, "bundle", check.Write)
		if err != nil {
			return nil, readError(f, data, err)
		}
		sources = append(sources, Source{Name: f, Data: data})
	}
	return sources, nil
}

// readError is the error of reading a bundle: for a byte that is not JSON, encoding/json's
// message about the bytes read up to it (the same as loading the whole file gives).
func readError(name string, read []byte, err error) error {
	if isSyntax(err) {
		return jsonError(Source{Name: name, Data: bounded.TrimBOM(read)})
	}
	return limitError(err)
}
