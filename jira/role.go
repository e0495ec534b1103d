package jira

import (
	"context"
	"net/http"
	"net/url"
	"path"
)

// ProjectRoles returns the project's roles as a map from role name to role
// id. Role ids differ per site, so callers look roles up by name. Jira
// answers 401 or 404, not 403, to callers without Administer Projects.
func (c *Client) ProjectRoles(ctx context.Context, projectKeyOrID string) (map[string]string, error) {
	var links map[string]string
	rq := request{method: http.MethodGet, path: projectPath + "/role", params: projectParams(projectKeyOrID)}
	if err := c.do(ctx, rq, &links); err != nil {
		return nil, err
	}
	roles := make(map[string]string, len(links))
	for name, link := range links {
		u, err := url.Parse(link)
		if err != nil {
			continue
		}
		roles[name] = path.Base(u.Path)
	}
	return roles, nil
}
