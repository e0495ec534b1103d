package store_test

import (
	"encoding/base32"
	"regexp"
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/store"
)

// TestNewIDShape: plan IDs carry 128 random bits (26 characters of
// lower-case base32, no padding) and do not repeat.
func TestNewIDShape(t *testing.T) {
	t.Parallel()
	shape := regexp.MustCompile(`^[a-z2-7]{26}$`)
	seen := map[string]bool{}
	for range 2000 {
		id, err := store.NewID()
		if err != nil {
			t.Fatal(err)
		}
		if !shape.MatchString(id) {
			t.Fatalf("NewID() = %q, want 26 characters of lower-case base32", id)
		}
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(id))
		if err != nil || len(raw) != 16 {
			t.Fatalf("NewID() = %q decodes to %d bytes (%v), want 16 (128 bits)", id, len(raw), err)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
		if !store.ValidID(id) {
			t.Fatalf("ValidID(%q) = false for a NewID", id)
		}
	}
}

// TestValidID refuses anything that is not exactly an ID.
func TestValidID(t *testing.T) {
	t.Parallel()
	id, err := store.NewID()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"an ID", id, true},
		{"empty", "", false},
		{"upper case", strings.ToUpper(id), false},
		{"extra text", id + " please", false},
		{"newline", id + "\n", false},
		{"short", id[:25], false},
		{"key separator", id[:25] + ":", false},
		{"glob", id[:25] + "*", false},
		{"not base32", id[:25] + "1", false},
		{"multi-byte", id[:24] + "é", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := store.ValidID(tt.id); got != tt.want {
				t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}
