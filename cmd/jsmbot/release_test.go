package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestReleaseBinaryLinksNoTestCode: the packages linked into jsmbot (the
// simulators of jsmbot demo included) do not import testing or
// net/http/httptest, so the release binary carries neither.
func TestReleaseBinaryLinksNoTestCode(t *testing.T) {
	t.Parallel()
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{"testing", "net/http/httptest"}
	var linked []string
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), " ")
		linked = append(linked, pkg)
		for _, imp := range strings.Fields(imports) {
			if slices.Contains(forbidden, imp) {
				t.Errorf("%s imports %s, so the release binary links it", pkg, imp)
			}
		}
	}
	// If the listing broke, the loop above would pass vacuously.
	for _, must := range []string{"github.com/jsmbot/jsmbot/bot/slacksim", "github.com/jsmbot/jsmbot/jira/jirasim", "github.com/jsmbot/jsmbot/internal/demo"} {
		if !slices.Contains(linked, must) {
			t.Fatalf("go list -deps lacks %s: the check is broken", must)
		}
	}
}
