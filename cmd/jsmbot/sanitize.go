package main

import (
	"io"
	"strings"
)

// Jira's text (error messages, project and scheme names) reaches the
// terminal. It must not move the cursor, recolour the screen or set the
// window title, and an error stays one line: escape sequences and control
// characters are dropped on the way out.

// oneLine makes s one clean line: escape sequences and control characters
// dropped, line breaks and tabs turned into single spaces.
func oneLine(s string) string {
	var b strings.Builder
	w := &sanitizer{w: &b}
	_, _ = io.WriteString(w, s)
	return strings.Join(strings.Fields(b.String()), " ")
}

// sanitizer passes text through without terminal escape sequences (CSI,
// OSC and two-character ESC sequences, and their C1 forms) and without
// control characters other than newline and tab. It keeps its state
// between writes, so a sequence split over two writes is dropped too.
type sanitizer struct {
	w     io.Writer
	state int
}

const (
	sNormal = iota
	sEsc    // after ESC
	sCSI    // in ESC [ … final byte
	sOSC    // in ESC ] … BEL or ESC \
	sC2     // after 0xC2, the lead byte of U+0080–U+00BF
)

// newSanitizer wraps w.
func newSanitizer(w io.Writer) io.Writer { return &sanitizer{w: w} }

// Write writes p without escapes and control characters; it reports
// len(p) on success, whatever it dropped.
func (s *sanitizer) Write(p []byte) (int, error) {
	out := make([]byte, 0, len(p))
	for _, c := range p {
		switch s.state {
		case sEsc:
			switch c {
			case '[':
				s.state = sCSI
			case ']':
				s.state = sOSC
			default:
				s.state = sNormal // a two-character sequence: drop both
			}
			continue
		case sCSI:
			if c >= 0x40 && c <= 0x7e {
				s.state = sNormal
			}
			continue
		case sOSC:
			switch c {
			case 0x07:
				s.state = sNormal
			case 0x1b:
				s.state = sEsc
			}
			continue
		case sC2:
			s.state = sNormal
			switch {
			case c == 0x9b: // C1 CSI
				s.state = sCSI
				continue
			case c == 0x9d: // C1 OSC
				s.state = sOSC
				continue
			case c >= 0x80 && c <= 0x9f:
				continue // another C1 control
			}
			out = append(out, 0xc2, c)
			continue
		}
		switch {
		case c == 0x1b:
			s.state = sEsc
		case c == 0xc2:
			s.state = sC2
		case c == '\n' || c == '\t':
			out = append(out, c)
		case c < 0x20 || c == 0x7f:
			// a control character: drop it
		default:
			out = append(out, c)
		}
	}
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
