// Package golden compares test output with files kept under
// testdata/golden/<TopLevelTest>/, rewriting them instead when the
// environment has UPDATE_GOLDEN=1. It is for tests only.
package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Check compares got with testdata/golden/<test>/<name>, where <test> is the
// top-level test's name (subtests name the files), or writes the file when
// UPDATE_GOLDEN=1. A missing file fails with a hint to create it.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", strings.SplitN(t.Name(), "/", 2)[0], name)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
