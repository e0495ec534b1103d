// Package apispec checks HTTP traffic against Atlassian's published OpenAPI
// documents for the Jira Cloud platform REST API v3 and the Jira Service
// Management REST API, copied into testdata/ (see testdata/SOURCE.md).
//
// It is test support: tests of the jira client use [ValidateRequest] to prove
// that every request the client sends hits a real operation of the specs
// with valid parameters and body, and the simulator's conformance test uses
// [ValidateResponse] to prove that its answers have the documented shape.
//
// Paths may be given with any prefix before "/rest/" (a site URL, the
// api.atlassian.com gateway base path, the simulator's base path) and with a
// query; the prefix and the query are ignored when matching. Paths under
// /rest/api/3 are matched against the platform document, paths under
// /rest/servicedeskapi against the JSM document.
//
// # How the documents are used
//
// Both documents fail kin-openapi's whole-document validation (invalid
// examples and defaults, duplicate operation ids), so they are loaded without
// calling Validate and routed with kin-openapi's gorillamux router; their
// server lists are dropped so that any host matches. Request and response
// validation use openapi3filter, with two adjustments:
//
//   - "date-time" accepts Jira's own timestamp form
//     2021-01-02T10:20:30.000+0000 (offset without a colon) as well as RFC
//     3339, because Jira and the documents' examples use it;
//   - "uri" must be an absolute URL (kin-openapi checks no uri format by
//     default), so that broken self links are caught.
//
// One schema is completed where the document contradicts itself: the
// platform's AuditRecordBean forbids additional properties but omits
// authorAccountId, which the operation's own example, real audit records
// and the reference (§9) all carry; it is added as a string.
//
// Most platform operations document 401/403/404 without a body schema, and
// JSM's 412 for experimental operations comes from the narrative, not from
// the operations. For every status of 400 or above, [ValidateResponse]
// therefore also checks the body against the error schema of the API:
// ErrorCollection (errorMessages, errors) on the platform, ErrorResponse
// (errorMessage, i18nErrorMessage) on JSM.
//
// # Trimmed documents
//
// The checks load trimmed copies of the two documents
// (testdata/*.trimmed.json): the path items jsmbot's client and simulator
// use, listed in internal/apispec/internal/trim/paths.go, and exactly the
// components they reference, verbatim. Parsing the full platform document
// took about three seconds per test binary under the race detector (nearly
// all of it kin-openapi's YAML-based parsing; reference resolution and the
// router cost little); the trimmed copies take a tenth of a second. The
// trim also keeps the path items that could match the same requests as the
// listed ones, so routing is the full document's; a request that does not
// end at a listed path is routed on the full document's paths instead, and
// if Atlassian defines the operation, the error says to add its path to
// the list and run go generate ./internal/apispec. A test proves the
// trimmed files are exactly the trim of the full ones.
//
// The trimmed documents are parsed without the description and summary
// strings and the examples of their objects (trim.Slim), which no check
// reads; free-form values (defaults, enums, the discriminator's mapping,
// extensions such as x-experimental) are kept whole. That leaves a
// quarter of the text for kin-openapi to parse, a tenth of a second less
// per test binary under the race detector.
//
// The documents are parsed once per test binary and shared read-only.
package apispec

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/jsmbot/jsmbot/internal/apispec/internal/trim"
)

//go:generate go run ./internal/trim/gentrim

// The trimmed documents, which the checks use (see the package comment).
var (
	//go:embed testdata/jira-platform.trimmed.json
	platformJSON []byte
	//go:embed testdata/jsm-servicedesk.trimmed.json
	jsmJSON []byte
)

// The full documents, read only to explain a request the trimmed ones do
// not route.
var (
	//go:embed testdata/jira-platform-swagger-v3.v3.json
	platformFullJSON []byte
	//go:embed testdata/jsm-servicedesk-swagger.v3.json
	jsmFullJSON []byte
)

// API names one of the two documents.
type API string

// The two APIs.
const (
	// Platform is the Jira Cloud platform REST API v3 (/rest/api/3).
	Platform API = "platform"
	// JSM is the Jira Service Management REST API (/rest/servicedeskapi).
	JSM API = "jsm"
)

// Path prefixes of the two APIs.
const (
	PlatformPrefix = "/rest/api/3"
	JSMPrefix      = "/rest/servicedeskapi"
)

// Route is the operation of a spec that a request matches.
type Route struct {
	// API is the document the operation belongs to.
	API API
	// Method is the HTTP method, upper case.
	Method string
	// Path is the path template as the document writes it, e.g.
	// "/rest/api/3/project/{projectIdOrKey}".
	Path string
	// OperationID is the document's operationId.
	OperationID string
	// Experimental reports x-experimental: JSM requires the header
	// X-ExperimentalApi: opt-in for such operations (else 412).
	Experimental bool
	// PathParams are the values of the template's parameters.
	PathParams map[string]string

	route *routers.Route
}

// spec is one loaded document.
type spec struct {
	doc    *openapi3.T
	router routers.Router
	// listed are the path templates the trim keeps for their own sake
	// (trim.Docs); requests routed elsewhere are decided on the full
	// document.
	listed []string
}

// specs loads both documents once. It is a package-level function value,
// not mutable state: the documents are read-only after loading.
var specs = sync.OnceValues(func() (map[API]*spec, error) {
	out := map[API]*spec{}
	for api, data := range map[API][]byte{Platform: platformJSON, JSM: jsmJSON} {
		sp, err := load(api, data)
		if err != nil {
			return nil, fmt.Errorf("apispec: load %s document: %w", api, err)
		}
		i := slices.IndexFunc(trim.Docs, func(d trim.Doc) bool { return d.Name == string(api) })
		if i < 0 {
			return nil, fmt.Errorf("apispec: trim.Docs has no %s document", api)
		}
		sp.listed = trim.Docs[i].Paths
		out[api] = sp
	}
	return out, nil
})

// fullDocs reads the full documents, for their operations (and, in the
// tests, their trim); read only when a trimmed document finds no route.
var fullDocs = sync.OnceValues(func() (map[API]*trim.Document, error) {
	out := map[API]*trim.Document{}
	for api, data := range map[API][]byte{Platform: platformFullJSON, JSM: jsmFullJSON} {
		doc, err := trim.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("apispec: read the full %s document: %w", api, err)
		}
		out[api] = doc
	}
	return out, nil
})

// fullOperations reads the operations of the full documents: path
// template, then upper-case method, then operationId.
func fullOperations() (map[API]map[string]map[string]string, error) {
	docs, err := fullDocs()
	if err != nil {
		return nil, err
	}
	out := map[API]map[string]map[string]string{}
	for api, doc := range docs {
		out[api] = doc.Operations()
	}
	return out, nil
}

// fullRouters route on the path templates of the full documents, without
// their schemas (see [newFullRouter]); built only when a trimmed document
// finds no route.
var fullRouters = sync.OnceValues(func() (map[API]routers.Router, error) {
	ops, err := fullOperations()
	if err != nil {
		return nil, err
	}
	out := map[API]routers.Router{}
	for api, byPath := range ops {
		prefix := map[API]string{Platform: PlatformPrefix, JSM: JSMPrefix}[api]
		r, err := newFullRouter(strings.Count(prefix, "/")+1, byPath)
		if err != nil {
			return nil, fmt.Errorf("apispec: route the full %s document: %w", api, err)
		}
		out[api] = r
	}
	return out, nil
})

// fullRouter routes as one gorillamux router on all the templates of a
// document would, without trying each of its four hundred templates in
// turn (a microsecond and more each under the race detector): it holds
// one router for each group of templates that can match the same paths.
//
// A gorillamux template matches a whole escaped path, each parameter a
// run of bytes other than '/' and the rest literally, so it matches only
// paths with as many slashes, and, if its first depth segments (those of
// the API prefix and one more) hold no parameter, only paths that start
// with those. A group is the templates of one slash count and one such
// start, with those of that slash count whose start holds a parameter;
// those alone form the group of paths whose start no template spells.
// Routed on its group, a request therefore meets the templates that could
// match it in the order of the whole set (gorillamux orders templates by
// their number of parameters, then in reverse lexicographic order), and
// ends where it would have: at the first that matches, refused if that
// path lacks the method, and not found if none matches. When a template
// does not fit (one with a colon, which may give a parameter its own
// pattern, or one that does not start with a slash) the document is
// routed whole.
type fullRouter struct {
	depth  int
	whole  routers.Router
	groups map[templateGroup]routers.Router
}

// templateGroup names a group of templates (see [fullRouter]).
type templateGroup struct {
	slashes int
	// start are the first segments, joined with '/'; "" with param, for
	// the templates whose start holds a parameter.
	start string
	param bool
}

// newFullRouter routes on byPath, templates to upper-case methods to
// operationIds, grouping the templates by their first depth segments.
func newFullRouter(depth int, byPath map[string]map[string]string) (*fullRouter, error) {
	byGroup := map[templateGroup][]string{}
	for p := range byPath {
		if !strings.HasPrefix(p, "/") || strings.Contains(p, ":") {
			whole, err := gorillamuxRouter(byPath, slices.Collect(maps.Keys(byPath)))
			return &fullRouter{whole: whole}, err
		}
		g := groupOf(p, depth)
		if g.param {
			g.start = ""
		}
		byGroup[g] = append(byGroup[g], p)
	}
	r := &fullRouter{depth: depth, groups: map[templateGroup]routers.Router{}}
	for g, paths := range byGroup {
		if !g.param {
			paths = append(paths, byGroup[templateGroup{slashes: g.slashes, param: true}]...)
		}
		router, err := gorillamuxRouter(byPath, paths)
		if err != nil {
			return nil, err
		}
		r.groups[g] = router
	}
	return r, nil
}

// groupOf returns the group of a template, or of an escaped request path
// whose start is then read as literal text.
func groupOf(path string, depth int) templateGroup {
	segments := strings.SplitN(path, "/", depth+2)
	start := strings.Join(segments[1:min(len(segments), depth+1)], "/")
	return templateGroup{
		slashes: strings.Count(path, "/"),
		start:   start,
		param:   strings.ContainsAny(start, "{}"),
	}
}

// gorillamuxRouter routes on paths, some templates of byPath.
func gorillamuxRouter(byPath map[string]map[string]string, paths []string) (routers.Router, error) {
	items := openapi3.NewPaths()
	for _, p := range paths {
		item := &openapi3.PathItem{}
		for m, id := range byPath[p] {
			item.SetOperation(m, &openapi3.Operation{OperationID: id})
		}
		items.Set(p, item)
	}
	return gorillamux.NewRouter(&openapi3.T{Paths: items})
}

// FindRoute routes req on the group its path belongs to.
func (r *fullRouter) FindRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	if r.whole != nil {
		return r.whole.FindRoute(req)
	}
	g := groupOf(req.URL.EscapedPath(), r.depth)
	router := r.groups[templateGroup{slashes: g.slashes, start: g.start}]
	if router == nil {
		router = r.groups[templateGroup{slashes: g.slashes, param: true}]
	}
	if router == nil {
		return nil, nil, routers.ErrPathNotFound
	}
	return router.FindRoute(req)
}

// find routes req on the trimmed document; when that does not end at a
// path the trim lists, the full document decides (see [omitted]).
func (sp *spec) find(api API, req *http.Request) (*routers.Route, map[string]string, error) {
	rt, params, err := sp.router.FindRoute(req)
	if err == nil && slices.Contains(sp.listed, rt.Path) {
		return rt, params, nil
	}
	return nil, nil, omitted(api, req)
}

// omitted explains a request that the trimmed document of api does not
// route, by routing it on the full document: if the full document has the
// operation, the trim left it out and the error says how to keep it;
// otherwise the error is the full document's (unknown path, or method not
// allowed).
func omitted(api API, req *http.Request) error {
	all, err := fullRouters()
	if err != nil {
		return err
	}
	rt, _, err := all[api].FindRoute(req)
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: the full %s spec has it as %s (%s): "+
		"add %q to the %s paths in internal/apispec/internal/trim/paths.go and run go generate ./internal/apispec",
		errOmitted, api, rt.Path, rt.Operation.OperationID, rt.Path, api)
}

// errOmitted marks an operation the trimmed documents leave out.
var errOmitted = errors.New("operation left out of the trimmed spec")

// load parses a document, completes it (see the package comment) and
// builds its router.
func load(api API, data []byte) (*spec, error) {
	// Without the documents' prose and examples, a quarter of the text
	// to parse (see the package comment).
	data, err := trim.Slim(data)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, err
	}
	if api == Platform {
		if err := completeAuditRecord(doc); err != nil {
			return nil, err
		}
	}
	// No doc.Validate(): both documents fail it (see the package comment).
	// Without servers, the router matches the path on any host.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &spec{doc: doc, router: router}, nil
}

// completeAuditRecord adds authorAccountId to AuditRecordBean.
func completeAuditRecord(doc *openapi3.T) error {
	ref := doc.Components.Schemas["AuditRecordBean"]
	if ref == nil || ref.Value == nil {
		return errors.New("no AuditRecordBean schema")
	}
	if _, ok := ref.Value.Properties["authorAccountId"]; !ok {
		ref.Value.Properties["authorAccountId"] = openapi3.NewSchemaRef("", openapi3.NewStringSchema())
	}
	return nil
}

// SplitPath returns the API of a path and the path from "/rest/" on, with
// anything before it (scheme, host, base path) and the query removed. It
// accepts a full URL or a path.
func SplitPath(rawPath string) (API, string, error) {
	p := rawPath
	if u, err := url.Parse(rawPath); err == nil {
		p = u.EscapedPath()
	} else if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	i := strings.Index(p, "/rest/")
	if i < 0 {
		return "", "", fmt.Errorf("apispec: %q is not under /rest/", rawPath)
	}
	p = p[i:]
	switch {
	case p == PlatformPrefix || strings.HasPrefix(p, PlatformPrefix+"/"):
		return Platform, p, nil
	case p == JSMPrefix || strings.HasPrefix(p, JSMPrefix+"/"):
		return JSM, p, nil
	}
	return "", "", fmt.Errorf("apispec: %q is neither under %s nor under %s", rawPath, PlatformPrefix, JSMPrefix)
}

// Lookup finds the operation for method and path (see [SplitPath] for the
// forms of path). The error says whether the path is unknown or the method
// is not allowed on it.
func Lookup(method, path string) (Route, error) {
	api, p, err := SplitPath(path)
	if err != nil {
		return Route{}, err
	}
	all, err := specs()
	if err != nil {
		return Route{}, err
	}
	sp := all[api]
	req, err := http.NewRequest(strings.ToUpper(method), "http://spec.invalid"+p, nil)
	if err != nil {
		return Route{}, fmt.Errorf("apispec: %s %s: %w", method, path, err)
	}
	rt, params, err := sp.find(api, req)
	switch {
	case errors.Is(err, errOmitted):
		return Route{}, fmt.Errorf("apispec: %s %s: %w", method, p, err)
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return Route{}, fmt.Errorf("apispec: %s %s: the %s spec has the path but not the method", method, p, api)
	case err != nil:
		return Route{}, fmt.Errorf("apispec: %s %s: no such operation in the %s spec: %w", method, p, api, err)
	}
	r := Route{
		API:         api,
		Method:      req.Method,
		Path:        rt.Path,
		OperationID: rt.Operation.OperationID,
		PathParams:  params,
		route:       rt,
	}
	if v, ok := rt.Operation.Extensions["x-experimental"].(bool); ok {
		r.Experimental = v
	}
	return r, nil
}

// options are the openapi3filter options used everywhere (see the package
// comment).
func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		MultiError:         true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			// Keep messages to the reason and the JSON path; the schema dumps
			// run to pages.
			openapi3.DisableSchemaErrorDetails(),
			openapi3.WithStringFormatValidator("date-time", jiraDateTime{}),
			openapi3.WithStringFormatValidator("uri", absoluteURI{}),
		},
	}
}

// requestInput builds the validation input of req against its route; the
// request is copied with its path reduced to the spec's form.
func requestInput(method, rawURL string, header http.Header, body []byte) (*openapi3filter.RequestValidationInput, Route, error) {
	r, err := Lookup(method, rawURL)
	if err != nil {
		return nil, Route{}, err
	}
	_, p, _ := SplitPath(rawURL)
	target := "http://spec.invalid" + p
	if u, err := url.Parse(rawURL); err == nil && u.RawQuery != "" {
		target += "?" + u.RawQuery
	}
	req, err := http.NewRequest(r.Method, target, bytes.NewReader(body))
	if err != nil {
		return nil, Route{}, err
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	return &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: r.PathParams,
		Route:      r.route,
		Options:    options(),
	}, r, nil
}

// ValidateRequest fails the test unless req (with body, which may be nil)
// is a valid request of its operation: known path and method, parameters
// and body as the spec describes them. Security requirements are not
// checked.
func ValidateRequest(tb testing.TB, req *http.Request, body []byte) Route {
	tb.Helper()
	in, r, err := requestInput(req.Method, req.URL.String(), req.Header, body)
	if err != nil {
		tb.Fatal(err)
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		tb.Errorf("apispec: %s %s: request does not conform to %s: %v", req.Method, req.URL.RequestURI(), r.Path, err)
	}
	return r
}

// ValidateResponse fails the test unless (status, header, body) is a valid
// answer of req's operation: a documented status must have the documented
// body schema, and any status of 400 or above must carry the API's error
// body (see the package comment). Undocumented statuses are otherwise
// accepted, as Atlassian's documents are incomplete on errors.
func ValidateResponse(tb testing.TB, req *http.Request, status int, header http.Header, body []byte) Route {
	tb.Helper()
	in, r, err := requestInput(req.Method, req.URL.String(), req.Header, nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                options(),
	}
	if err := openapi3filter.ValidateResponse(context.Background(), resp); err != nil {
		tb.Errorf("apispec: %s %s: %d response does not conform to %s: %v", req.Method, req.URL.RequestURI(), status, r.Path, err)
	}
	if status >= 400 {
		if err := ValidateErrorBody(r.API, body); err != nil {
			tb.Errorf("apispec: %s %s: %d: %v", req.Method, req.URL.RequestURI(), status, err)
		}
	}
	return r
}

// ValidateErrorBody checks an error body against the error schema of api:
// ErrorCollection for the platform, ErrorResponse for JSM. Beyond the
// schema (whose fields are all optional) it requires the fields that carry
// the message: a non-empty errorMessages or errors on the platform, a
// non-empty errorMessage on JSM.
func ValidateErrorBody(api API, body []byte) error {
	all, err := specs()
	if err != nil {
		return err
	}
	name := map[API]string{Platform: "ErrorCollection", JSM: "ErrorResponse"}[api]
	ref := all[api].doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("apispec: the %s spec has no %s schema", api, name)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("error body is not JSON: %v: %q", err, body)
	}
	if err := ref.Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails()); err != nil {
		return fmt.Errorf("error body does not conform to %s: %v", name, err)
	}
	m, _ := v.(map[string]any)
	switch api {
	case Platform:
		msgs, _ := m["errorMessages"].([]any)
		fields, _ := m["errors"].(map[string]any)
		if len(msgs) == 0 && len(fields) == 0 {
			return fmt.Errorf("error body has neither errorMessages nor errors: %s", body)
		}
	case JSM:
		if msg, _ := m["errorMessage"].(string); msg == "" {
			return fmt.Errorf("error body has no errorMessage: %s", body)
		}
	}
	return nil
}

// jiraTimestamp is Jira's timestamp form, e.g. 2021-01-02T10:20:30.000+0000.
var jiraTimestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{4}$`)

// jiraDateTime accepts RFC 3339 and Jira's timestamps.
type jiraDateTime struct{}

func (jiraDateTime) Validate(v string) error {
	if _, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return nil
	}
	if jiraTimestamp.MatchString(v) {
		if _, err := time.Parse("2006-01-02T15:04:05.999999999-0700", v); err == nil {
			return nil
		}
	}
	return fmt.Errorf("not an RFC 3339 or Jira timestamp")
}

// absoluteURI accepts absolute URLs.
type absoluteURI struct{}

func (absoluteURI) Validate(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return err
	}
	if !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("not an absolute URL")
	}
	return nil
}
