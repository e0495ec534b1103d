package main

import (
	"encoding/json"
	"regexp"
	"testing"
)

// TestREADMESeverities: the README's rule table gives each rule the
// severity diagnose --json reports for it.
func TestREADMESeverities(t *testing.T) {
	t.Parallel()
	table := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| ([^|]+) \\|").FindAllStringSubmatch(repoFile(t, "README.md"), -1) {
		table[m[1]] = m[2]
	}
	seen := map[string]bool{}
	for _, key := range []string{"NOPA", "CUST", "ADMN", "DRFT", "SOFT", "TEAM"} {
		_, out, _ := cli(t, siteOf(t, key), nil, "diagnose", key, "--json")
		var got result
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("diagnose %s --json: %v", key, err)
		}
		for _, f := range got.Findings {
			seen[f.Rule] = true
			if want, ok := table[f.Rule]; !ok || want != f.Severity {
				t.Errorf("%s: rule %s has severity %q in the JSON, %q in README", key, f.Rule, f.Severity, want)
			}
		}
	}
	if !seen["not-applicable"] || !seen["portal-access"] {
		t.Errorf("the scenarios did not cover the rules: %v", seen)
	}
}
