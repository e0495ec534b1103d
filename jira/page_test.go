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

// TestServiceDesksSkipsEmptyPages is TestProjectsSkipsEmptyPages for JSM's
// paging (start, limit, isLastPage, _links.next).
func TestServiceDesksSkipsEmptyPages(t *testing.T) {
	t.Parallel()
	pages := map[string]string{
		"0": `{"start":0,"limit":2,"size":1,"isLastPage":false,"_links":{"next":"x"},"values":[{"id":"1","projectKey":"AAA"}]}`,
		"1": `{"start":1,"limit":2,"size":0,"isLastPage":false,"_links":{"next":"x"},"values":[]}`,
		"3": `{"start":3,"limit":2,"size":1,"isLastPage":true,"_links":{},"values":[{"id":"2","projectKey":"BBB"}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Query().Get("start")]
		if !ok {
			http.Error(w, `{"errorMessage":"unexpected start"}`, http.StatusBadRequest)
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
	for d, err := range c.ServiceDesks(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, d.ProjectKey)
	}
	if want := []string{"AAA", "BBB"}; !slices.Equal(keys, want) {
		t.Errorf("desks = %v, want %v", keys, want)
	}
}
