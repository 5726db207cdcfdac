package attack

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/TcM1911/stix2"
	"github.com/tidwall/gjson"
)

// The STIX types the index reads. Objects of other types are counted and left out before
// stix2 sees them.
const (
	typeAnalytic      = "x-mitre-analytic"
	typeStrategy      = "x-mitre-detection-strategy"
	typeDataComponent = "x-mitre-data-component"
	typeDataSource    = "x-mitre-data-source"
	typeTactic        = "x-mitre-tactic"
	typeMatrix        = "x-mitre-matrix"
	typeCollection    = "x-mitre-collection"
	typeAttackPattern = string(stix2.TypeAttackPattern)
	typeRelationship  = string(stix2.TypeRelationship)
)

// readsType reports whether the index reads objects of type typ.
// knownType reports whether STIX 2.1 or ATT&CK defines typ: objects of such types that the
// index does not read are ignored quietly (counted), others with a warning.
func knownType(typ string) bool {
	switch typ {
	case "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
		"indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
		"note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
		"relationship", "sighting", "marking-definition", "language-content", "extension-definition",
		"x-mitre-analytic", "x-mitre-detection-strategy", "x-mitre-data-component", "x-mitre-data-source",
		"x-mitre-tactic", "x-mitre-matrix", "x-mitre-collection", "x-mitre-asset":
		return true
	}
	return false
}

func readsType(typ string) bool {
	switch typ {
	case typeAnalytic, typeStrategy, typeDataComponent, typeDataSource, typeTactic, typeMatrix,
		typeCollection, typeAttackPattern, typeRelationship:
		return true
	}
	return false
}

// mitreAnalytic is an x-mitre-analytic as stix2 parses it with our custom parser.
type mitreAnalytic struct {
	stix2.STIXDomainObject
	Name            string           `json:"name"`
	Description     string           `json:"description,omitempty"`
	Version         string           `json:"x_mitre_version,omitempty"`
	Deprecated      bool             `json:"x_mitre_deprecated,omitempty"`
	Domains         []string         `json:"x_mitre_domains,omitempty"`
	Platforms       []string         `json:"x_mitre_platforms,omitempty"`
	LogSources      []logSourceJSON  `json:"x_mitre_log_source_references,omitempty"`
	MutableElements []mutableElement `json:"x_mitre_mutable_elements,omitempty"`
}

type logSourceJSON struct {
	DataComponentRef string `json:"x_mitre_data_component_ref"`
	Name             string `json:"name"`
	Channel          string `json:"channel"`
}

type mutableElement struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// mitreStrategy is an x-mitre-detection-strategy.
type mitreStrategy struct {
	stix2.STIXDomainObject
	Name         string   `json:"name"`
	Deprecated   bool     `json:"x_mitre_deprecated,omitempty"`
	AnalyticRefs []string `json:"x_mitre_analytic_refs,omitempty"`
}

// mitreObject is any other x-mitre-* type the index knows: data component, data source,
// tactic, matrix, collection. Its type tells them apart.
type mitreObject struct {
	stix2.STIXDomainObject
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Deprecated  bool   `json:"x_mitre_deprecated,omitempty"`
}

// parserFor returns a stix2 custom parser for T. It only allocates the object: stix2's
// processObjects (stix.go, v0.10.3) unmarshals the data into whatever the parser returns and
// then attaches the leftover custom properties, so decoding here too would do the work twice
// for the largest objects in a bundle. The end-to-end tests fail if stix2 stops doing so.
func parserFor[T any, PT interface {
	*T
	stix2.STIXObject
}]() func([]byte) (stix2.STIXObject, error) {
	return func([]byte) (stix2.STIXObject, error) {
		return PT(new(T)), nil
	}
}

func stixOptions() []stix2.CollectionOption {
	return []stix2.CollectionOption{
		stix2.UseCustomParser(typeAnalytic, parserFor[mitreAnalytic]()),
		stix2.UseCustomParser(typeStrategy, parserFor[mitreStrategy]()),
		stix2.UseCustomParser(typeDataComponent, parserFor[mitreObject]()),
		stix2.UseCustomParser(typeDataSource, parserFor[mitreObject]()),
		stix2.UseCustomParser(typeTactic, parserFor[mitreObject]()),
		stix2.UseCustomParser(typeMatrix, parserFor[mitreObject]()),
		stix2.UseCustomParser(typeCollection, parserFor[mitreObject]()),
	}
}

// parseSTIX parses one file's checked objects with stix2 and returns them in order. Large
// files are split into one chunk per CPU, parsed concurrently.
func parseSTIX(file string, objs []*rawObject) ([]stix2.STIXObject, error) {
	chunks := splitBySize(objs, runtime.GOMAXPROCS(0))
	results := make([][]stix2.STIXObject, len(chunks))
	errs := make([]error, len(chunks))
	var wg sync.WaitGroup
	for i, chunk := range chunks {
		wg.Go(func() { results[i], errs[i] = parseChunk(file, chunk) })
	}
	wg.Wait()
	var all []stix2.STIXObject
	for i, res := range results {
		if errs[i] != nil {
			return nil, errs[i]
		}
		all = append(all, res...)
	}
	return all, nil
}

// parseChunk parses objects with one stix2.FromJSON call. When stix2 fails, each object is
// parsed alone to name the one at fault.
func parseChunk(file string, objs []*rawObject) ([]stix2.STIXObject, error) {
	col, err := fromJSON(bundleOf(objs))
	if err == nil {
		return col.AllObjects(), nil
	}
	for _, o := range objs {
		if _, oneErr := fromJSON(bundleOf([]*rawObject{o})); oneErr != nil {
			e := newLoadError(file, o.index, o.id, oneErr.Error())
			e.Err = oneErr
			return nil, e
		}
	}
	e := newLoadError(file, -1, "", err.Error())
	e.Err = err
	return nil, e
}

// minChunk is the smallest chunk, in bytes of JSON, worth a goroutine of its own.
const minChunk = 1 << 20

// splitBySize splits objs, in order, into at most n runs of about equal JSON size, none
// much smaller than minChunk.
func splitBySize(objs []*rawObject, n int) [][]*rawObject {
	total := 0
	for _, o := range objs {
		total += len(o.data)
	}
	n = max(1, min(n, total/minChunk))
	target := total/n + 1
	var chunks [][]*rawObject
	start, size := 0, 0
	for i, o := range objs {
		size += len(o.data)
		if size >= target || i == len(objs)-1 {
			chunks = append(chunks, objs[start:i+1])
			start, size = i+1, 0
		}
	}
	return chunks
}

// fromJSON calls stix2.FromJSON, turning a panic into an error as a last line of defence.
func fromJSON(data []byte) (col *stix2.Collection, err error) {
	defer func() {
		if r := recover(); r != nil {
			col, err = nil, fmt.Errorf("stix2 panicked: %v", r)
		}
	}()
	col, err = stix2.FromJSON(data, stixOptions()...)
	if err != nil {
		return nil, fmt.Errorf("stix2: %w", err)
	}
	return col, nil
}

// bundleOf wraps raw objects in a bundle for stix2.
func bundleOf(objs []*rawObject) []byte {
	const head = `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[`
	size := len(head) + len(objs) + 2
	for _, o := range objs {
		size += len(o.data)
	}
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(head)
	for i, o := range objs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(withoutProse(o))
	}
	b.WriteString("]}")
	return b.Bytes()
}

// withoutProse drops from attack-patterns and data components what the index never reads
// and what makes up most of their bytes: descriptions, detection notes, and citations (the
// external references other than ATT&CK's own). stix2 then decodes a quarter less JSON
// for an enterprise bundle, which cuts loading CPU time by about a sixth.
func withoutProse(o *rawObject) string {
	if o.typ != typeAttackPattern && o.typ != typeDataComponent {
		return o.data
	}
	var b strings.Builder
	b.Grow(len(o.data) / 2)
	b.WriteByte('{')
	gjson.Parse(o.data).ForEach(func(key, value gjson.Result) bool {
		switch key.Str {
		case "description", "x_mitre_detection", "x_mitre_log_sources":
			return true
		case "external_references":
			value = attackReferences(value)
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(key.Raw)
		b.WriteByte(':')
		b.WriteString(value.Raw)
		return true
	})
	b.WriteByte('}')
	return b.String()
}

// attackReferences keeps the ATT&CK entries of an external_references array.
func attackReferences(refs gjson.Result) gjson.Result {
	if !refs.IsArray() {
		return refs
	}
	var kept []string
	refs.ForEach(func(_, ref gjson.Result) bool {
		if attackSources[ref.Get("source_name").String()] {
			kept = append(kept, ref.Raw)
		}
		return true
	})
	return gjson.Result{Type: gjson.JSON, Raw: "[" + strings.Join(kept, ",") + "]"}
}
