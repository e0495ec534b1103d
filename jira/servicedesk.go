package jira

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// ServiceDesk is a JSM service desk. Its ids are strings in the API.
type ServiceDesk struct {
	ID          string `json:"id"`
	ProjectID   string `json:"projectId"`
	ProjectName string `json:"projectName"`
	ProjectKey  string `json:"projectKey"`
}

// ServiceDesk returns one service desk. idOrKey may be the desk id, the
// project key, or the forms projectKey:ABC and projectId:10012.
func (c *Client) ServiceDesk(ctx context.Context, idOrKey string) (*ServiceDesk, error) {
	var d ServiceDesk
	if err := c.do(ctx, request{method: http.MethodGet, path: deskPath, params: deskParams(idOrKey)}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ServiceDesks iterates over the service desks the caller can access.
func (c *Client) ServiceDesks(ctx context.Context) iter.Seq2[ServiceDesk, error] {
	return paginate(ctx, func(ctx context.Context, start int) ([]ServiceDesk, int, error) {
		var p jsmPage[ServiceDesk]
		q := url.Values{"start": {strconv.Itoa(start)}, "limit": {"100"}}
		if err := c.do(ctx, request{method: http.MethodGet, path: "/rest/servicedeskapi/servicedesk", query: q}, &p); err != nil {
			return nil, 0, err
		}
		return p.Values, nextJSM(&p), nil
	})
}

const deskPath = "/rest/servicedeskapi/servicedesk/{serviceDeskId}"

func deskParams(idOrKey string) map[string]string {
	return map[string]string{"serviceDeskId": idOrKey}
}
