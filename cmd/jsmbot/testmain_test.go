package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/internal/testmain"
)

func TestMain(m *testing.M) { testmain.Run(m) }

// TestEveryTestBinaryUsesTestmain: a package whose tests end through
// os.Exit brings the race runtime's one-second exit sleep back (see
// internal/testmain). It lives here, beside the other checks of the whole
// repository, so that internal/testmain needs no test binary of its own.
func TestEveryTestBinaryUsesTestmain(t *testing.T) {
	t.Parallel()
	out, err := exec.CommandContext(t.Context(), "go", "list", "-f",
		`{{.Dir}}{{range .TestGoFiles}} {{.}}{{end}}{{range .XTestGoFiles}} {{.}}{{end}}`, "github.com/jsmbot/jsmbot/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		dir, files, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue // no tests
		}
		found := false
		for f := range strings.FieldsSeq(files) {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "testmain.Run(m)") || strings.Contains(string(b), "testmain.Exit(") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: its tests have no TestMain that calls testmain.Run or testmain.Exit", dir)
		}
	}
}
