package main

import (
	"regexp"
	"testing"
)

// readmeSeverities is the README's rule table: each rule's severity, as
// diagnose --json must report it (the rows of README's tables whose second
// cell is a severity). TestDiagnoseJSON checks every finding of
// every scenario against it, and that its rows cover every rule.
func readmeSeverities(t *testing.T) map[string]string {
	t.Helper()
	table := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| (critical|warning|info) \\|").FindAllStringSubmatch(repoFile(t, "README.md"), -1) {
		table[m[1]] = m[2]
	}
	if len(table) == 0 {
		t.Fatal("README.md has no rule table")
	}
	return table
}
