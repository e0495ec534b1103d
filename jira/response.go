package jira

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
)

// BadResponseError is a 2xx answer that is not JSON, such as an HTML page:
// a login page, a proxy's page, or a host that is not Jira. Whatever the
// body says, it is not Jira's answer, so it is not read as one.
type BadResponseError struct {
	// Method and Path name the request as for [APIError].
	Method string
	Path   string
	// StatusCode is the answer's status, ContentType its media type
	// ("" when none was given), e.g. text/html.
	StatusCode  int
	ContentType string
}

// Error reads like "jira: GET /rest/api/3/project/HELP: 200 OK answered
// text/html, not JSON".
func (e *BadResponseError) Error() string {
	ct := e.ContentType
	if ct == "" {
		ct = "no content type"
	}
	return fmt.Sprintf("jira: %s %s: %d answered %s, not JSON", e.Method, e.Path, e.StatusCode, ct)
}

// IsBadResponse reports whether err is an answer that did not come from
// Jira's REST API: a [*BadResponseError], or a body that claimed to be
// JSON and was not.
func IsBadResponse(err error) bool {
	var (
		bre *BadResponseError
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	return errors.As(err, &bre) || errors.As(err, &se) || errors.As(err, &ute)
}

// isJSON reports whether a Content-Type is JSON (application/json or a
// +json type).
func isJSON(contentType string) bool {
	mt := mediaType(contentType)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// mediaType is a Content-Type without its parameters, lower case; it never
// holds more than a token, so it is safe to show.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}
