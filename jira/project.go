package jira

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Project is a Jira project as GET /rest/api/3/project/{key} describes it.
type Project struct {
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	ProjectTypeKey string `json:"projectTypeKey"`
	// Style is "classic" for company-managed and "next-gen" for
	// team-managed projects.
	Style      string `json:"style"`
	Simplified bool   `json:"simplified"`
	IsPrivate  bool   `json:"isPrivate"`
	Archived   bool   `json:"archived"`
}

// Project type keys jsmbot cares about.
const (
	TypeServiceDesk = "service_desk"
	TypeSoftware    = "software"
	TypeBusiness    = "business"
)

// TeamManaged reports whether p is a team-managed project, which has no
// permission scheme.
func (p Project) TeamManaged() bool { return p.Simplified || p.Style == "next-gen" }

// Project returns the project with the given key or id. Keys are
// case-sensitive. Jira answers 404 ([ErrNotFound]) both for a missing
// project and for one the caller may not browse.
func (c *Client) Project(ctx context.Context, keyOrID string) (*Project, error) {
	var p Project
	err := c.do(ctx, request{method: http.MethodGet, path: projectPath, params: projectParams(keyOrID)}, &p)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// ProjectSearch selects projects for [Client.SearchProjects] and
// [Client.Projects]. The zero value selects every project the caller may
// browse.
type ProjectSearch struct {
	// TypeKeys limits the search to these project types.
	TypeKeys []string
	// StartAt is the index of the first project of the page.
	StartAt int
	// MaxResults is the page size; Jira caps it at 100. Zero asks for 100.
	MaxResults int
}

// ProjectPage is one page of a project search.
type ProjectPage struct {
	StartAt    int
	MaxResults int
	Total      int
	IsLast     bool
	Values     []Project
}

// SearchProjects returns one page of projects.
func (c *Client) SearchProjects(ctx context.Context, s ProjectSearch) (*ProjectPage, error) {
	p, err := c.searchProjects(ctx, s)
	if err != nil {
		return nil, err
	}
	return &ProjectPage{StartAt: p.StartAt, MaxResults: p.MaxResults, Total: p.Total, IsLast: p.IsLast, Values: p.Values}, nil
}

func (c *Client) searchProjects(ctx context.Context, s ProjectSearch) (*platformPage[Project], error) {
	q := url.Values{}
	q.Set("startAt", strconv.Itoa(s.StartAt))
	if s.MaxResults <= 0 {
		s.MaxResults = 100
	}
	setInt(q, "maxResults", s.MaxResults)
	if len(s.TypeKeys) > 0 {
		q.Set("typeKey", strings.Join(s.TypeKeys, ","))
	}
	var p platformPage[Project]
	if err := c.do(ctx, request{method: http.MethodGet, path: "/rest/api/3/project/search", query: q}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Projects iterates over every project matching s, following pages. It
// stops at the first error, which it yields. Jira answers a search that
// matches nothing with 404; Projects yields nothing then.
func (c *Client) Projects(ctx context.Context, s ProjectSearch) iter.Seq2[Project, error] {
	return paginate(ctx, func(ctx context.Context, start int) ([]Project, int, error) {
		s.StartAt = start
		p, err := c.searchProjects(ctx, s)
		if errors.Is(err, ErrNotFound) {
			return nil, -1, nil
		}
		if err != nil {
			return nil, 0, err
		}
		return p.Values, nextPlatform(p), nil
	})
}

// projectPath is the template of a project's path; [Client.do] fills in the
// key, escaped.
const projectPath = "/rest/api/3/project/{projectIdOrKey}"

func projectParams(keyOrID string) map[string]string {
	return map[string]string{"projectIdOrKey": keyOrID}
}
