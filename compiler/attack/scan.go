package attack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/stixcel/stixcel/internal/bounded"
)

// rawObject is one object of a source after the pre-scan: checked well enough that stix2
// cannot panic on its envelope, and carrying what deduplication and the index need.
type rawObject struct {
	file        string
	index       int // position in the file's objects
	typ, id     string
	specVersion string // the object's own, else its bundle's
	modified    string // as written, "" when absent
	modifiedAt  time.Time
	data        string // the object's JSON
}

// scanSource splits a bundle (or a bare JSON array of objects) into checked objects. The
// scan uses gjson, which validates and walks the file far faster than decoding it; error
// messages for invalid JSON come from encoding/json.
//
// Nesting deeper than bounded.MaxJSONDepth is refused before gjson, which recurses per
// level. A leading byte order mark is skipped: lines and columns do not count it.
func scanSource(src Source) ([]*rawObject, error) {
	fileErr := func(format string, args ...any) error {
		return newLoadError(src.Name, -1, "", fmt.Sprintf(format, args...))
	}
	if err := bounded.CheckJSON(src.Name, src.Data, bounded.MaxJSONDepth); err != nil && !isSyntax(err) {
		return nil, limitError(err)
	}
	src.Data = bounded.TrimBOM(src.Data)
	if !gjson.ValidBytes(src.Data) {
		return nil, jsonError(src)
	}
	root := gjson.ParseBytes(src.Data)
	bundleVersion := ""
	var items gjson.Result
	switch {
	case root.IsArray():
		items = root
	case root.IsObject():
		if typ := root.Get("type"); typ.Str != "bundle" || typ.Type != gjson.String {
			return nil, fileErr("%s, want a STIX bundle or an array of STIX objects", describeType(typ))
		}
		if v := root.Get("spec_version"); v.Exists() {
			if v.Type != gjson.String {
				return nil, fileErr(`bundle "spec_version" is %s, want a string`, kindOf(v))
			}
			bundleVersion = v.Str
		}
		items = root.Get("objects")
		if items.Exists() && !items.IsArray() {
			return nil, fileErr(`bundle "objects" is %s, want an array`, kindOf(items))
		}
	default:
		return nil, fileErr("a JSON value that is %s, want a STIX bundle or an array of STIX objects", kindOf(root))
	}
	var objects []*rawObject
	var loadErr *LoadError
	items.ForEach(func(_, item gjson.Result) bool {
		obj, err := checkObject(item)
		if err != nil {
			err.Pos.File, err.Index = src.Name, len(objects)
			if item.Index > 0 {
				err.Pos.Line, err.Pos.Col = lineCol(src.Data, int64(item.Index))
			}
			loadErr = err
			return false
		}
		obj.file, obj.index, obj.data = src.Name, len(objects), item.Raw
		if obj.specVersion == "" {
			obj.specVersion = bundleVersion
		}
		objects = append(objects, obj)
		return true
	})
	if loadErr != nil {
		return nil, loadErr
	}
	return objects, nil
}

// checkObject validates the fields stix2 trusts: "type" and "id" strings with the id of the
// form type--uuid, and string timestamps. The returned error lacks File and Index.
func checkObject(item gjson.Result) (*rawObject, *LoadError) {
	fail := func(id, format string, args ...any) (*rawObject, *LoadError) {
		return nil, newLoadError("", 0, id, fmt.Sprintf(format, args...))
	}
	if !item.IsObject() {
		return fail("", "is %s, want a JSON object", kindOf(item))
	}
	var typ, id, specVersion, created, modified gjson.Result
	item.ForEach(func(key, value gjson.Result) bool {
		switch key.Str {
		case "type":
			typ = value
		case "id":
			id = value
		case "spec_version":
			specVersion = value
		case "created":
			created = value
		case "modified":
			modified = value
		}
		return true
	})
	idName, idMsg := requiredString(id, "id")
	typeName, msg := requiredString(typ, "type")
	if msg != "" {
		return fail(idName, "%s", msg)
	}
	if idMsg != "" {
		return fail("", "%s", idMsg)
	}
	if !validID(typeName, idName) {
		return fail(idName, `"id" is not of the form %s--<uuid>`, printable(typeName))
	}
	obj := &rawObject{typ: typeName, id: idName}
	if specVersion.Exists() {
		if specVersion.Type != gjson.String {
			return fail(idName, `"spec_version" is %s, want a string`, kindOf(specVersion))
		}
		obj.specVersion = specVersion.Str
	}
	if _, msg := optionalTimestamp(created, "created"); msg != "" {
		return fail(idName, "%s", msg)
	}
	at, msg := optionalTimestamp(modified, "modified")
	if msg != "" {
		return fail(idName, "%s", msg)
	}
	if !at.IsZero() {
		obj.modified, obj.modifiedAt = modified.Str, at
	}
	return obj, nil
}

func requiredString(v gjson.Result, field string) (string, string) {
	switch {
	case !v.Exists():
		return "", fmt.Sprintf("missing %q", field)
	case v.Type != gjson.String:
		return "", fmt.Sprintf("%q is %s, want a string", field, kindOf(v))
	case v.Str == "":
		return "", fmt.Sprintf("%q is empty", field)
	}
	return v.Str, ""
}

func optionalTimestamp(v gjson.Result, field string) (time.Time, string) {
	if !v.Exists() {
		return time.Time{}, ""
	}
	if v.Type != gjson.String {
		return time.Time{}, fmt.Sprintf("%q is %s, want an RFC 3339 timestamp", field, kindOf(v))
	}
	t, err := time.Parse(time.RFC3339Nano, v.Str)
	if err != nil {
		return time.Time{}, fmt.Sprintf("%q %s is not an RFC 3339 timestamp", field, quoted(v.Str))
	}
	return t, ""
}

// validID reports whether id is typ--uuid (8-4-4-4-12 hex digits).
func validID(typ, id string) bool {
	uuid, ok := strings.CutPrefix(id, typ+"--")
	if !ok || len(uuid) != 36 {
		return false
	}
	for i, c := range uuid {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

// kindOf names the JSON kind of a value.
func kindOf(v gjson.Result) string {
	switch {
	case v.Type == gjson.String:
		return "a string"
	case v.Type == gjson.Number:
		return "a number"
	case v.Type == gjson.True || v.Type == gjson.False:
		return "a boolean"
	case v.IsArray():
		return "an array"
	case v.IsObject():
		return "an object"
	default:
		return "null"
	}
}

// describeType says what a JSON object's "type" makes it, for an object that is not a bundle.
func describeType(typ gjson.Result) string {
	switch {
	case !typ.Exists():
		return `a JSON object without "type"`
	case typ.Type == gjson.String:
		return fmt.Sprintf("a single %q object", typ.Str)
	default:
		return fmt.Sprintf(`a JSON object whose "type" is %s`, kindOf(typ))
	}
}

// jsonError is the LoadError of a file that is not valid JSON, at the syntax error.
func jsonError(src Source) *LoadError {
	var v any
	err := json.Unmarshal(src.Data, &v)
	e := newLoadError(src.Name, -1, "", describeJSONError(src.Data, err))
	e.Err = err
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		e.Pos.Line, e.Pos.Col = lineCol(src.Data, syntaxIndex(syntax))
	}
	return e
}

// describeJSONError turns an encoding/json error into one line with the offset, line and
// column of a syntax error.
func describeJSONError(data []byte, err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		at := syntaxIndex(syntax)
		line, col := lineCol(data, at)
		msg := strings.TrimPrefix(syntax.Error(), "json: ")
		return fmt.Sprintf("not valid JSON: %s at offset %d (line %d, column %d)", msg, at, line, col)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// syntaxIndex is the 0-based offset of the byte a syntax error is about: encoding/json's
// Offset counts the bytes read, the bad one included, except at the end of the input, where
// the error is just past the last byte.
func syntaxIndex(syntax *json.SyntaxError) int64 {
	if syntax.Offset > 0 && !strings.HasPrefix(syntax.Error(), "unexpected end") {
		return syntax.Offset - 1
	}
	return syntax.Offset
}

// lineCol converts a byte offset into 1-based line and column.
func lineCol(data []byte, offset int64) (int, int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := 1 + bytes.Count(before, []byte{'\n'})
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// dedupe keeps one version of each id across all files: the newer `modified` wins, and on a
// tie the one later in load order. It returns the kept objects in load order and the number
// of versions dropped.
func dedupe(files [][]*rawObject) ([]*rawObject, int) {
	winner := map[string]*rawObject{}
	dropped := 0
	for _, objs := range files {
		for _, o := range objs {
			prev, seen := winner[o.id]
			if seen {
				dropped++
				if o.modifiedAt.Before(prev.modifiedAt) {
					continue
				}
			}
			winner[o.id] = o
		}
	}
	kept := make([]*rawObject, 0, len(winner))
	for _, objs := range files {
		for _, o := range objs {
			if winner[o.id] == o {
				kept = append(kept, o)
			}
		}
	}
	return kept, dropped
}

// isSyntax reports whether err is a *bounded.LimitError about malformed JSON, which
// encoding/json describes better.
func isSyntax(err error) bool {
	var lerr *bounded.LimitError
	return errors.As(err, &lerr) && lerr.Syntax
}

// limitError is the LoadError of a bundle that breaks a limit of package bounded (err, when
// it is a *bounded.LimitError; other errors are returned as they are).
func limitError(err error) error {
	var lerr *bounded.LimitError
	if !errors.As(err, &lerr) {
		return err
	}
	e := newLoadError(lerr.File, -1, "", lerr.Msg+fmt.Sprintf(" at offset %d", lerr.Offset))
	e.Pos.Line, e.Pos.Col = lerr.Line, lerr.Col
	if lerr.Line > 0 {
		e.Msg += fmt.Sprintf(" (line %d, column %d)", lerr.Line, lerr.Col)
	}
	e.Err = lerr
	return e
}
