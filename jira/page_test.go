package jira_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/jsmbot/jsmbot/jira"
)

// TestProjectsSkipsEmptyPages: Jira may answer a page with no values that
// is not the last (reference §2.1: "assume a page can be empty"); the
// iterator goes on to the next page instead of stopping early, so a scan
// for the projects sharing a scheme misses none.
func TestProjectsSkipsEmptyPages(t *testing.T) {
	t.Parallel()
	pages := map[string]string{
		"0": `{"startAt":0,"maxResults":2,"total":5,"isLast":false,"nextPage":"x","values":[{"id":"1","key":"AAA"}]}`,
		"1": `{"startAt":1,"maxResults":2,"total":5,"isLast":false,"nextPage":"x","values":[]}`,
		"3": `{"startAt":3,"maxResults":2,"total":5,"isLast":true,"values":[{"id":"2","key":"BBB"}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Query().Get("startAt")]
		if !ok {
			http.Error(w, fmt.Sprintf(`{"errorMessages":["unexpected startAt %s"]}`, r.URL.Query().Get("startAt")), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := jira.NewClient(srv.URL, "a@example.com", "token")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for p, err := range c.Projects(t.Context(), jira.ProjectSearch{}) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, p.Key)
	}
	if want := []string{"AAA", "BBB"}; !slices.Equal(keys, want) {
		t.Errorf("projects = %v, want %v", keys, want)
	}
}
