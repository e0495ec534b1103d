// Package trim cuts Atlassian's OpenAPI documents down to the operations
// jsmbot uses, so that tests parse a few hundred kilobytes instead of three
// megabytes (kin-openapi needs about three seconds per test binary under
// the race detector for the full platform document, nearly all of it in
// parsing).
//
// A trimmed document keeps, verbatim from the full one:
//
//   - openapi, info and servers;
//   - the path items listed in [Docs], whole (every method), plus every
//     other path item whose template could match a request that a listed
//     one matches: with those, a router built on the trimmed copy that
//     routes a request to a listed path picks the same operation as one
//     built on the full document (gorillamux orders templates by a fixed
//     rule, and that order is kept in any subset). The others are there
//     for that reason only; apispec routes no request to them;
//   - exactly the components those path items reference, directly or
//     through other components ($ref, discriminator mappings, and the
//     security schemes operations name), plus the extra schemas of [Docs].
//
// It drops tags, externalDocs and x-atlassian-narrative, which no
// validation reads. The output is indented with two spaces; string and
// number literals are copied byte for byte.
//
// The trimmed files in internal/apispec/testdata are written by gentrim
// (go generate ./internal/apispec), and apispec's tests prove they are
// exactly [Trim] of the full documents. The list of kept paths is [Docs],
// in paths.go: it is the one place to change.
package trim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Doc names one document and what its trimmed copy keeps.
type Doc struct {
	// Name is the API's name in internal/apispec: "platform" or "jsm".
	Name string
	// Full and Trimmed are the file names under internal/apispec/testdata.
	Full, Trimmed string
	// Paths are the path templates kept, as the document writes them.
	Paths []string
	// Schemas are component schemas kept although no kept path refers to
	// them.
	Schemas []string
}

// Top-level keys of the documents: kept verbatim, trimmed, or dropped.
// Any other key is an error, so that a new document is looked at.
var (
	keptKeys    = []string{"openapi", "info", "servers"}
	droppedKeys = []string{"tags", "externalDocs", "x-atlassian-narrative"}
)

// entry is one member of a JSON object, in document order.
type entry struct {
	key string
	val json.RawMessage
}

// Trim returns the trimmed copy of the full document (see the package
// comment). It fails if a path of d is not in the document or a reference
// cannot be followed.
func Trim(full []byte, d Doc) ([]byte, error) {
	top, err := members(full)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Full, err)
	}
	var paths, components json.RawMessage
	var out []entry
	for _, e := range top {
		switch {
		case e.key == "paths":
			paths = e.val
			out = append(out, entry{key: e.key})
		case e.key == "components":
			components = e.val
			out = append(out, entry{key: e.key})
		case slices.Contains(keptKeys, e.key):
			out = append(out, e)
		case slices.Contains(droppedKeys, e.key):
		default:
			return nil, fmt.Errorf("%s: unknown top-level key %q: decide whether the trimmed copy needs it", d.Full, e.key)
		}
	}
	keptPaths, refs, err := trimPaths(paths, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Full, err)
	}
	for _, s := range d.Schemas {
		refs = append(refs, ref{"schemas", s})
	}
	keptComponents, err := trimComponents(components, refs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Full, err)
	}
	for i := range out {
		switch out[i].key {
		case "paths":
			out[i].val = keptPaths
		case "components":
			out[i].val = keptComponents
		}
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, object(out), "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// trimPaths keeps the path items of d.Paths and those that overlap them,
// and returns them with the components they reference.
func trimPaths(raw json.RawMessage, d Doc) (json.RawMessage, []ref, error) {
	all, err := members(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("paths: %w", err)
	}
	for _, p := range d.Paths {
		if !slices.ContainsFunc(all, func(e entry) bool { return e.key == p }) {
			return nil, nil, fmt.Errorf("the document has no path %q", p)
		}
	}
	var kept []entry
	var refs []ref
	for _, e := range all {
		if !slices.ContainsFunc(d.Paths, func(p string) bool { return overlap(p, e.key) }) {
			continue
		}
		kept = append(kept, e)
		r, err := references(e.val, true)
		if err != nil {
			return nil, nil, fmt.Errorf("path %s: %w", e.key, err)
		}
		refs = append(refs, r...)
	}
	return object(kept), refs, nil
}

// overlap reports whether one request could match both templates: the same
// number of segments, each equal or holding a parameter in either. It errs
// on the side of keeping.
func overlap(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if as[i] != bs[i] && !strings.Contains(as[i], "{") && !strings.Contains(bs[i], "{") {
			return false
		}
	}
	return true
}

// trimComponents keeps the components reachable from refs, in document
// order, and drops the kinds left empty.
func trimComponents(raw json.RawMessage, refs []ref) (json.RawMessage, error) {
	kinds, err := members(raw)
	if err != nil {
		return nil, fmt.Errorf("components: %w", err)
	}
	byKind := map[string][]entry{}
	values := map[ref]json.RawMessage{}
	for _, k := range kinds {
		es, err := members(k.val)
		if err != nil {
			return nil, fmt.Errorf("components.%s: %w", k.key, err)
		}
		byKind[k.key] = es
		for _, e := range es {
			values[ref{k.key, e.key}] = e.val
		}
	}
	reached := map[ref]bool{}
	for len(refs) > 0 {
		r := refs[len(refs)-1]
		refs = refs[:len(refs)-1]
		if reached[r] {
			continue
		}
		v, ok := values[r]
		if !ok {
			return nil, fmt.Errorf("no component %s/%s", r.kind, r.name)
		}
		reached[r] = true
		more, err := references(v, false)
		if err != nil {
			return nil, fmt.Errorf("component %s/%s: %w", r.kind, r.name, err)
		}
		refs = append(refs, more...)
	}
	var out []entry
	for _, k := range kinds {
		var kept []entry
		for _, e := range byKind[k.key] {
			if reached[ref{k.key, e.key}] {
				kept = append(kept, e)
			}
		}
		if len(kept) > 0 {
			out = append(out, entry{k.key, object(kept)})
		}
	}
	return object(out), nil
}

// ref names one component.
type ref struct{ kind, name string }

// references returns the components a value refers to: every string that
// is a local JSON pointer (a $ref, a discriminator mapping) and, in a path
// item, the security schemes its operations name.
func references(raw json.RawMessage, pathItem bool) ([]ref, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	var refs []ref
	var walk func(any) error
	walk = func(v any) error {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				if err := walk(x); err != nil {
					return err
				}
			}
		case []any:
			for _, x := range v {
				if err := walk(x); err != nil {
					return err
				}
			}
		case string:
			if !strings.HasPrefix(v, "#/") {
				return nil
			}
			parts := strings.Split(v, "/")
			if len(parts) != 4 || parts[1] != "components" {
				return fmt.Errorf("reference %q is not to a component", v)
			}
			unescape := strings.NewReplacer("~1", "/", "~0", "~")
			refs = append(refs, ref{unescape.Replace(parts[2]), unescape.Replace(parts[3])})
		}
		return nil
	}
	if err := walk(v); err != nil {
		return nil, err
	}
	if pathItem {
		item, _ := v.(map[string]any)
		for _, op := range item {
			op, _ := op.(map[string]any)
			reqs, _ := op["security"].([]any)
			for _, req := range reqs {
				req, _ := req.(map[string]any)
				for name := range req {
					refs = append(refs, ref{"securitySchemes", name})
				}
			}
		}
	}
	return refs, nil
}

// members returns the members of a JSON object in document order.
func members(raw json.RawMessage) ([]entry, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var out []entry
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, entry{t.(string), v})
	}
	return out, nil
}

// object writes entries as a compact JSON object.
func object(es []entry) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range es {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(e.val)
	}
	b.WriteByte('}')
	return b.Bytes()
}
