package trim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// scanner reads JSON from b, at offset i. It is written for the full
// documents, megabytes each, and reads each byte once: strings are
// crossed with bytes.IndexByte, and only the members a caller asks for
// are decoded.
type scanner struct {
	b     []byte
	i     int
	depth int
}

// maxDepth bounds the nesting of arrays and objects, as encoding/json's
// does.
const maxDepth = 10000

// errorf returns an error at the scanner's offset.
func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", s.i, fmt.Sprintf(format, args...))
}

// skipSpace moves past JSON whitespace and returns the offset.
func (s *scanner) skipSpace() int {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return s.i
		}
	}
	return s.i
}

// peek returns the byte at the offset, 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// expect moves past whitespace and c, or fails.
func (s *scanner) expect(c byte) error {
	if s.skipSpace(); s.peek() != c {
		return s.errorf("want %q", c)
	}
	s.i++
	return nil
}

// key reads an object member's name and the colon after it, and returns
// the name decoded and as written, quotes included.
func (s *scanner) key() (name string, raw []byte, err error) {
	s.skipSpace()
	start, end, err := s.str()
	if err != nil {
		return "", nil, err
	}
	if name, err = s.decode(start, end); err != nil {
		return "", nil, err
	}
	if err := s.expect(':'); err != nil {
		return "", nil, err
	}
	return name, s.b[start-1 : end+1], nil
}

// enter moves past the opening byte of an object or array and fails if
// the nesting is too deep.
func (s *scanner) enter() error {
	if s.depth++; s.depth > maxDepth {
		return s.errorf("nested too deeply")
	}
	s.i++
	return nil
}

// members reads an object, calling member with each decoded key and the
// offset before the member's value, which member must read.
func (s *scanner) members(member func(key string) error) error {
	if err := s.open('{'); err != nil {
		return err
	}
	if s.closes('}') {
		return nil
	}
	for {
		key, _, err := s.key()
		if err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		if done, err := s.next('}'); done || err != nil {
			return err
		}
	}
}

// elements reads an array, calling element with the offset before each
// element, which element must read.
func (s *scanner) elements(element func() error) error {
	if err := s.open('['); err != nil {
		return err
	}
	if s.closes(']') {
		return nil
	}
	for {
		if err := element(); err != nil {
			return err
		}
		if done, err := s.next(']'); done || err != nil {
			return err
		}
	}
}

// open moves past whitespace and c, the opening byte of an object or
// array.
func (s *scanner) open(c byte) error {
	if s.skipSpace(); s.peek() != c {
		return s.errorf("want %q", c)
	}
	return s.enter()
}

// closes moves past whitespace and the closing byte c of an empty object
// or array just opened, and reports whether it was there.
func (s *scanner) closes(c byte) bool {
	if s.skipSpace(); s.peek() != c {
		return false
	}
	s.i++
	s.depth--
	return true
}

// closer returns the byte that closes what opening opens.
func closer(opening byte) byte {
	if opening == '[' {
		return ']'
	}
	return '}'
}

// next moves past the comma before the next member or element, or past
// the closing byte (done).
func (s *scanner) next(closing byte) (done bool, err error) {
	switch s.skipSpace(); s.peek() {
	case ',':
		s.i++
		return false, nil
	case closing:
		s.i++
		s.depth--
		return true, nil
	}
	return false, s.errorf("want ',' or %q", closing)
}

// value reads one value. Unless pointers is nil, it appends the local
// JSON pointers ("#/...") among the value's strings, keys aside.
func (s *scanner) value(pointers *[]string) error {
	switch s.skipSpace(); s.peek() {
	case '{':
		if err := s.enter(); err != nil {
			return err
		}
		if s.closes('}') {
			return nil
		}
		for {
			s.skipSpace()
			if _, _, err := s.str(); err != nil {
				return err
			}
			if err := s.expect(':'); err != nil {
				return err
			}
			if err := s.value(pointers); err != nil {
				return err
			}
			if done, err := s.next('}'); done || err != nil {
				return err
			}
		}
	case '[':
		return s.elements(func() error { return s.value(pointers) })
	case '"':
		start, end, err := s.str()
		if err != nil || pointers == nil {
			return err
		}
		v, ok, err := s.pointer(start, end)
		if ok {
			*pointers = append(*pointers, v)
		}
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return s.number()
}

// str reads a string and returns the offsets of its contents as written,
// escapes and all: the string is s.b[start-1:end+1], quotes included.
// Escapes are checked when the contents are decoded or indented.
func (s *scanner) str() (start, end int, err error) {
	if s.peek() != '"' {
		return 0, 0, s.errorf("want a string")
	}
	start = s.i + 1
	for j := start; ; {
		k := bytes.IndexByte(s.b[j:], '"')
		if k < 0 {
			return 0, 0, s.errorf("unterminated string")
		}
		j += k
		// The quote ends the string unless an odd number of backslashes
		// escapes it.
		n := 0
		for j-1-n >= start && s.b[j-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			s.i = j + 1
			return start, j, nil
		}
		j++
	}
}

// decode returns the value of the string whose contents str found at
// start:end.
func (s *scanner) decode(start, end int) (string, error) {
	raw := s.b[start:end]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw), nil
	}
	var v string
	if err := json.Unmarshal(s.b[start-1:end+1], &v); err != nil {
		return "", fmt.Errorf("string at offset %d: %w", start-1, err)
	}
	return v, nil
}

// pointer reports whether the string whose contents str found at
// start:end is a local JSON pointer ("#/..."), and returns it decoded.
func (s *scanner) pointer(start, end int) (string, bool, error) {
	// Only contents that start with '#' and '/' or an escape, or with an
	// escape, can decode to "#/...".
	raw := s.b[start:end]
	if len(raw) < 2 || raw[0] != '#' && raw[0] != '\\' || raw[0] == '#' && raw[1] != '/' && raw[1] != '\\' {
		return "", false, nil
	}
	v, err := s.decode(start, end)
	if err != nil || !strings.HasPrefix(v, "#/") {
		return "", false, err
	}
	return v, true, nil
}

// literal reads true, false or null.
func (s *scanner) literal(lit string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return s.errorf("want %s", lit)
	}
	s.i += len(lit)
	return nil
}

// number reads a number, checking its grammar.
func (s *scanner) number() error {
	start := s.i
	digits := func() int {
		n := 0
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.peek() == '-' {
		s.i++
	}
	switch {
	case s.peek() == '0':
		s.i++
	case digits() == 0:
		s.i = start
		return s.errorf("want a value")
	}
	if s.peek() == '.' {
		s.i++
		if digits() == 0 {
			return s.errorf("want a digit")
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if digits() == 0 {
			return s.errorf("want a digit")
		}
	}
	return nil
}

// indent appends src, one JSON value, to dst indented as
// json.Indent(dst, src, "", "  ") does: a newline and two spaces per level
// before each member and element and before a closing bracket, one space
// after each colon, empty objects and arrays as {} and [], and literals
// copied byte for byte. Unlike the rest of the scanner it checks the
// contents of strings as json.Indent does: no control characters and
// only valid escapes.
func indent(dst, src []byte) ([]byte, error) {
	w := indenter{scanner: scanner{b: src}, out: dst}
	if err := w.value(0); err != nil {
		return nil, err
	}
	if w.skipSpace() != len(src) {
		return nil, w.errorf("data after the value")
	}
	return w.out, nil
}

// indenter writes what its scanner reads, indented.
type indenter struct {
	scanner
	out []byte
}

// newline starts a line at depth.
func (w *indenter) newline(depth int) {
	w.out = append(w.out, '\n')
	for range depth {
		w.out = append(w.out, "  "...)
	}
}

// value copies one value at depth.
func (w *indenter) value(depth int) error {
	start := w.skipSpace()
	switch c := w.peek(); c {
	case '{', '[':
		closing := closer(c)
		if err := w.enter(); err != nil {
			return err
		}
		if w.closes(closing) {
			w.out = append(w.out, c, closing)
			return nil
		}
		w.out = append(w.out, c)
		for {
			w.newline(depth + 1)
			if c == '{' {
				w.skipSpace()
				if err := w.string(); err != nil {
					return err
				}
				if err := w.expect(':'); err != nil {
					return err
				}
				w.out = append(w.out, ':', ' ')
			}
			if err := w.value(depth + 1); err != nil {
				return err
			}
			done, err := w.next(closing)
			if err != nil {
				return err
			}
			if done {
				w.newline(depth)
				w.out = append(w.out, closing)
				return nil
			}
			w.out = append(w.out, ',')
		}
	case '"':
		return w.string()
	}
	if err := w.scanner.value(nil); err != nil {
		return err
	}
	w.out = append(w.out, w.b[start:w.i]...)
	return nil
}

// string copies one string after checking its contents.
func (w *indenter) string() error {
	start, end, err := w.str()
	if err != nil {
		return err
	}
	raw := w.b[start:end]
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c < 0x20:
			return fmt.Errorf("offset %d: control character in a string", start+i)
		case c == '\\':
			i++
			switch raw[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(raw) || !isHex(raw[i+1:i+5]) {
					return fmt.Errorf("offset %d: invalid \\u escape in a string", start+i)
				}
				i += 4
			default:
				return fmt.Errorf("offset %d: invalid escape in a string", start+i)
			}
		}
	}
	w.out = append(w.out, w.b[start-1:end+1]...)
	return nil
}

// isHex reports whether b is all hexadecimal digits.
func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Slim returns doc, an OpenAPI document, compacted and without what
// request and response validation never read, for a parser that would
// spend most of its time on it:
//
//   - the description and summary strings of its objects (a member of that
//     name whose value is not a string, a property say, is kept);
//   - the example and examples members of its objects, and with them the
//     examples of components, except in the objects whose members are
//     names (properties, content, headers, security requirements, ...),
//     where a member of that name is a property, a media type, a header,
//     a scheme.
//
// Free-form values are copied whole, whatever they hold: those of default,
// enum, const, the discriminator's mapping, and extensions (x-...).
func Slim(doc []byte) ([]byte, error) {
	w := slimmer{scanner: scanner{b: doc}, out: make([]byte, 0, len(doc)/2)}
	if err := w.value(false, ""); err != nil {
		return nil, err
	}
	if w.skipSpace() != len(doc) {
		return nil, w.errorf("data after the document")
	}
	return w.out, nil
}

// freeForm reports whether the value of member key is free-form (see
// [Slim]).
func freeForm(key string) bool {
	switch key {
	case "default", "enum", "const", "mapping":
		return true
	}
	return strings.HasPrefix(key, "x-")
}

// names reports whether the value of member key is an object whose
// members are names, or an array of such objects (security).
func names(key string) bool {
	switch key {
	case "paths", "properties", "responses", "content", "headers", "schemas", "parameters", "requestBodies",
		"securitySchemes", "links", "callbacks", "encoding", "variables", "scopes", "examples", "security", "mapping":
		return true
	}
	return false
}

// slimmer writes what its scanner reads, compacted and slimmed.
type slimmer struct {
	scanner
	out []byte
}

// value copies one value, the value of member key (or an element of its
// array); inside a free-form value nothing is dropped.
func (w *slimmer) value(freeform bool, key string) error {
	start := w.skipSpace()
	switch c := w.peek(); c {
	case '{', '[':
		closing := closer(c)
		if err := w.enter(); err != nil {
			return err
		}
		w.out = append(w.out, c)
		if w.closes(closing) {
			w.out = append(w.out, closing)
			return nil
		}
		first := true
		for {
			inner, innerKey := freeform, key
			drop := false
			var rawKey []byte
			if c == '{' {
				name, raw, err := w.key()
				if err != nil {
					return err
				}
				w.skipSpace()
				switch {
				case freeform:
				case name == "description" || name == "summary":
					drop = w.peek() == '"'
				case name == "example" || name == "examples":
					drop = !names(key)
				}
				inner, innerKey = freeform || freeForm(name), name
				rawKey = raw
			}
			if drop {
				if err := w.scanner.value(nil); err != nil {
					return err
				}
			} else {
				if !first {
					w.out = append(w.out, ',')
				}
				first = false
				if rawKey != nil {
					w.out = append(w.out, rawKey...)
					w.out = append(w.out, ':')
				}
				if err := w.value(inner, innerKey); err != nil {
					return err
				}
			}
			done, err := w.next(closing)
			if err != nil {
				return err
			}
			if done {
				w.out = append(w.out, closing)
				return nil
			}
		}
	}
	if err := w.scanner.value(nil); err != nil {
		return err
	}
	w.out = append(w.out, w.b[start:w.i]...)
	return nil
}
