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
// validation reads. The output is indented with two spaces, exactly as
// json.Indent(dst, src, "", "  ") would; string and number literals are
// copied byte for byte.
//
// [Parse] reads a full document in one pass: the members of its top
// level, of paths, of each path item and operation, and of components,
// with the local references found in every path item and component. A
// [Document] then gives its [Document.Trim] for any [Doc] and its
// [Document.Operations], so that apispec's tests read the full documents
// once for both. Parse checks the document's structure and literals; the
// contents of strings (escapes, control characters) are checked in what
// Trim keeps, which is all that reaches the trimmed files.
//
// The trimmed files in internal/apispec/testdata are written by gentrim
// (go generate ./internal/apispec), and apispec's tests prove they are
// exactly [Trim] of the full documents. The list of kept paths is [Docs],
// in paths.go: it is the one place to change.
package trim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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

// methods are the path item members that are operations.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// entry is one member of a JSON object, in document order.
type entry struct {
	key string
	val []byte
}

// Document is a full document read by [Parse]. It refers to the bytes it
// was parsed from, which must not change while it is used; it is
// read-only, and safe for concurrent use.
type Document struct {
	// top are the top-level members, values verbatim.
	top []entry
	// paths are the members of paths; pathsOK says paths is an object.
	paths   []pathItem
	pathsOK bool
	// kinds are the members of components; componentsOK says components
	// is an object.
	kinds        []kind
	componentsOK bool
}

// pathItem is one member of paths.
type pathItem struct {
	entry
	// pointers are the local JSON pointers among its strings.
	pointers []string
	// security are the security schemes its operations name.
	security []string
	// ops maps the upper-case method of each operation to its
	// operationId.
	ops map[string]string
}

// kind is one member of components: schemas, securitySchemes, ...
type kind struct {
	key string
	// ok says the value is an object.
	ok      bool
	entries []component
}

// component is one member of a kind.
type component struct {
	entry
	// pointers are the local JSON pointers among its strings.
	pointers []string
}

// Trim returns the trimmed copy of the full document (see the package
// comment). It fails if a path of d is not in the document or a reference
// cannot be followed.
func Trim(full []byte, d Doc) ([]byte, error) {
	doc, err := Parse(full)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Full, err)
	}
	return doc.Trim(d)
}

// Parse reads a full document (see the package comment). It fails if the
// document is not a JSON object or has a top-level key that the trim does
// not know.
func Parse(full []byte) (*Document, error) {
	s := &scanner{b: full}
	doc := &Document{}
	err := s.members(func(key string) error {
		start := s.skipSpace()
		switch {
		case key == "paths":
			if err := doc.parsePaths(s); err != nil {
				return err
			}
		case key == "components":
			if err := doc.parseComponents(s); err != nil {
				return err
			}
		case slices.Contains(keptKeys, key), slices.Contains(droppedKeys, key):
			if err := s.value(nil); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown top-level key %q: decide whether the trimmed copy needs it", key)
		}
		doc.top = append(doc.top, entry{key, full[start:s.i]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.skipSpace() != len(full) {
		return nil, s.errorf("data after the document")
	}
	return doc, nil
}

// parsePaths reads the value of paths.
func (doc *Document) parsePaths(s *scanner) error {
	doc.paths, doc.pathsOK = nil, s.peek() == '{'
	if !doc.pathsOK {
		return s.value(nil)
	}
	return s.members(func(key string) error {
		p := pathItem{ops: map[string]string{}}
		start := s.skipSpace()
		if s.peek() != '{' {
			if err := s.value(&p.pointers); err != nil {
				return err
			}
		} else if err := s.members(func(member string) error {
			return p.parseMember(s, member)
		}); err != nil {
			return err
		}
		p.entry = entry{key, s.b[start:s.i]}
		doc.paths = append(doc.paths, p)
		return nil
	})
}

// parseMember reads one member of a path item. Any member that is an
// object may name security schemes; an operation's operationId is kept
// ("" when the operation is not an object or has none).
func (p *pathItem) parseMember(s *scanner, member string) error {
	isOp := slices.Contains(methods, member)
	if isOp {
		p.ops[strings.ToUpper(member)] = ""
	}
	if s.skipSpace(); s.peek() != '{' {
		return s.value(&p.pointers)
	}
	var id string
	var security []string
	err := s.members(func(key string) error {
		s.skipSpace()
		switch {
		case key == "operationId" && s.peek() == '"':
			start, end, err := s.str()
			if err != nil {
				return err
			}
			if id, err = s.decode(start, end); err != nil {
				return err
			}
			v, ok, err := s.pointer(start, end)
			if ok {
				p.pointers = append(p.pointers, v)
			}
			return err
		case key == "security" && s.peek() == '[':
			security = security[:0]
			return s.elements(func() error {
				if s.skipSpace(); s.peek() != '{' {
					return s.value(&p.pointers)
				}
				return s.members(func(name string) error {
					security = append(security, name)
					return s.value(&p.pointers)
				})
			})
		}
		return s.value(&p.pointers)
	})
	if err != nil {
		return err
	}
	p.security = append(p.security, security...)
	if isOp {
		p.ops[strings.ToUpper(member)] = id
	}
	return nil
}

// parseComponents reads the value of components.
func (doc *Document) parseComponents(s *scanner) error {
	doc.kinds, doc.componentsOK = nil, s.peek() == '{'
	if !doc.componentsOK {
		return s.value(nil)
	}
	return s.members(func(key string) error {
		s.skipSpace()
		k := kind{key: key, ok: s.peek() == '{'}
		if !k.ok {
			if err := s.value(nil); err != nil {
				return err
			}
		} else if err := s.members(func(name string) error {
			var c component
			start := s.skipSpace()
			if err := s.value(&c.pointers); err != nil {
				return err
			}
			c.entry = entry{name, s.b[start:s.i]}
			k.entries = append(k.entries, c)
			return nil
		}); err != nil {
			return err
		}
		doc.kinds = append(doc.kinds, k)
		return nil
	})
}

// Operations returns the operations of the document: path template, then
// upper-case method, then operationId ("" if it has none). Every path is
// there, even one without operations.
func (doc *Document) Operations() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, p := range doc.paths {
		out[p.key] = maps.Clone(p.ops)
	}
	return out
}

// Trim returns the trimmed copy of the document for d (see the package
// comment). It fails if a path of d is not in the document or a reference
// cannot be followed.
func (doc *Document) Trim(d Doc) ([]byte, error) {
	keptPaths, refs, err := doc.trimPaths(d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Full, err)
	}
	for _, s := range d.Schemas {
		refs = append(refs, ref{"schemas", s})
	}
	keptComponents, err := doc.trimComponents(refs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Full, err)
	}
	var out []entry
	for _, e := range doc.top {
		switch {
		case e.key == "paths":
			out = append(out, entry{e.key, keptPaths})
		case e.key == "components":
			out = append(out, entry{e.key, keptComponents})
		case slices.Contains(keptKeys, e.key):
			out = append(out, e)
		}
	}
	buf, err := indent(nil, object(out))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Full, err)
	}
	return append(buf, '\n'), nil
}

// trimPaths keeps the path items of d.Paths and those that overlap them,
// and returns them with the components they reference.
func (doc *Document) trimPaths(d Doc) ([]byte, []ref, error) {
	if !doc.pathsOK {
		return nil, nil, errors.New("paths: not a JSON object")
	}
	for _, p := range d.Paths {
		if !slices.ContainsFunc(doc.paths, func(e pathItem) bool { return e.key == p }) {
			return nil, nil, fmt.Errorf("the document has no path %q", p)
		}
	}
	var kept []entry
	var refs []ref
	for _, e := range doc.paths {
		if !slices.ContainsFunc(d.Paths, func(p string) bool { return overlap(p, e.key) }) {
			continue
		}
		kept = append(kept, e.entry)
		r, err := components(e.pointers)
		if err != nil {
			return nil, nil, fmt.Errorf("path %s: %w", e.key, err)
		}
		refs = append(refs, r...)
		for _, name := range e.security {
			refs = append(refs, ref{"securitySchemes", name})
		}
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
// order, and drops the kinds left empty. Of two members with the same
// name, the later one's references count.
func (doc *Document) trimComponents(refs []ref) ([]byte, error) {
	if !doc.componentsOK {
		return nil, errors.New("components: not a JSON object")
	}
	byKind := map[string][]component{}
	values := map[ref]*component{}
	for _, k := range doc.kinds {
		if !k.ok {
			return nil, fmt.Errorf("components.%s: not a JSON object", k.key)
		}
		byKind[k.key] = k.entries
		for i := range k.entries {
			values[ref{k.key, k.entries[i].key}] = &k.entries[i]
		}
	}
	reached := map[ref]bool{}
	for len(refs) > 0 {
		r := refs[len(refs)-1]
		refs = refs[:len(refs)-1]
		if reached[r] {
			continue
		}
		c, ok := values[r]
		if !ok {
			return nil, fmt.Errorf("no component %s/%s", r.kind, r.name)
		}
		reached[r] = true
		more, err := components(c.pointers)
		if err != nil {
			return nil, fmt.Errorf("component %s/%s: %w", r.kind, r.name, err)
		}
		refs = append(refs, more...)
	}
	var out []entry
	for _, k := range doc.kinds {
		var kept []entry
		for _, e := range byKind[k.key] {
			if reached[ref{k.key, e.key}] {
				kept = append(kept, e.entry)
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

// components returns the components that local JSON pointers name; it
// fails on one that is not to a component.
func components(pointers []string) ([]ref, error) {
	refs := make([]ref, 0, len(pointers))
	for _, v := range pointers {
		parts := strings.Split(v, "/")
		if len(parts) != 4 || parts[1] != "components" {
			return nil, fmt.Errorf("reference %q is not to a component", v)
		}
		refs = append(refs, ref{unescape.Replace(parts[2]), unescape.Replace(parts[3])})
	}
	return refs, nil
}

// unescape decodes a JSON pointer's reference token.
var unescape = strings.NewReplacer("~1", "/", "~0", "~")

// object writes entries as a JSON object; values are copied as they are.
func object(es []entry) []byte {
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
