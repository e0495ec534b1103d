package main

import (
	"bytes"
	"testing"
)

// TestShutWriterDropsLateWrites: once shut, a writer passes nothing on, so
// a goroutine that outlives a command cannot write into its output.
func TestShutWriterDropsLateWrites(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w := &shutWriter{w: &out}
	if _, err := w.Write([]byte("before\n")); err != nil {
		t.Fatal(err)
	}
	w.Shut()
	if n, err := w.Write([]byte("after\n")); err != nil || n != len("after\n") {
		t.Fatalf("late write = %d, %v; want it dropped quietly", n, err)
	}
	if got := out.String(); got != "before\n" {
		t.Errorf("output %q, want only the write before Shut", got)
	}
}
