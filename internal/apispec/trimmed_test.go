package apispec

import (
	"bytes"
	"errors"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/internal/apispec/internal/trim"
)

// TestTrimmedDocuments proves that the embedded trimmed documents are
// exactly the trim of Atlassian's full documents (so they cannot drift from
// them or from the list in trim.Docs), and that for every operation of the
// full documents, routing through the trimmed document ends where the full
// document's router does or says the operation is left out.
func TestTrimmedDocuments(t *testing.T) {
	t.Parallel()
	embedded := map[API][]byte{Platform: platformJSON, JSM: jsmJSON}
	embeddedFull := map[API][]byte{Platform: platformFullJSON, JSM: jsmFullJSON}
	for _, d := range trim.Docs {
		t.Run(d.Trimmed, func(t *testing.T) {
			t.Parallel()
			api := API(d.Name)
			if embedded[api] == nil {
				t.Fatalf("apispec embeds no %s document", d.Name)
			}
			full, err := os.ReadFile(filepath.Join("testdata", d.Full))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(full, embeddedFull[api]) {
				t.Fatalf("apispec embeds another full %s document than testdata/%s", d.Name, d.Full)
			}
			// The full document as apispec reads it for its operations,
			// which trim.Trim(full, d) would parse again.
			docs, err := fullDocs()
			if err != nil {
				t.Fatal(err)
			}
			want, err := docs[api].Trim(d)
			if err != nil {
				t.Fatal(err)
			}
			if got := embedded[api]; !bytes.Equal(got, want) {
				t.Errorf("testdata/%s is not the trim of testdata/%s (first difference at line %d): run go generate ./internal/apispec",
					d.Trimmed, d.Full, firstDifferentLine(got, want))
			}

			all, err := specs()
			if err != nil {
				t.Fatal(err)
			}
			fulls, err := fullRouters()
			if err != nil {
				t.Fatal(err)
			}
			param := regexp.MustCompile(`\{[^}]*\}`)
			ops, err := fullOperations()
			if err != nil {
				t.Fatal(err)
			}
			for tmpl, methods := range ops[api] {
				target := "http://spec.invalid" + param.ReplaceAllString(tmpl, "10000")
				for method := range methods {
					req, err := http.NewRequest(method, target, nil)
					if err != nil {
						t.Fatal(err)
					}
					gotRoute, _, gotErr := all[api].find(api, req)
					if errors.Is(gotErr, errOmitted) {
						// omitted routed req on fulls[api] and says
						// "left out" only when that answers with a route:
						// routing it again here (most operations, each a
						// scan of some 400 path patterns) would prove
						// nothing more.
						continue
					}
					wantRoute, _, wantErr := fulls[api].FindRoute(req)
					switch {
					case (gotErr == nil) != (wantErr == nil):
						t.Errorf("%s %s: the trimmed document answers %v, the full one %v", req.Method, req.URL.Path, gotErr, wantErr)
					case gotErr == nil && gotRoute.Path != wantRoute.Path:
						t.Errorf("%s %s: the trimmed document routes to %s, the full one to %s", req.Method, req.URL.Path, gotRoute.Path, wantRoute.Path)
					}
				}
			}
		})
	}
}

// firstDifferentLine returns the 1-based number of the first line where a
// and b differ.
func firstDifferentLine(a, b []byte) int {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

// TestFullRouter tests that the full documents' router, which routes each
// request on a group of templates, ends where one gorillamux router on all
// of them does.
func TestFullRouter(t *testing.T) {
	t.Parallel()
	byPath := map[string]map[string]string{
		"/rest/api/3":                    {"GET": "root"},
		"/rest/api/3/myself":             {"GET": "myself"},
		"/rest/api/3/project/search":     {"GET": "search"},
		"/rest/api/3/project/recent":     {"GET": "recent"},
		"/rest/api/3/project/{id}":       {"GET": "project", "PUT": "putProject"},
		"/rest/api/3/project/{id}/role":  {"GET": "roles"},
		"/rest/api/3/project/{id}/{sub}": {"DELETE": "sub"},
		"/rest/api/3/{kind}":             {"POST": "anything"},
		"/rest/api/3/{kind}/role":        {"GET": "anyRoles"},
		// Before /rest/api/3/project/{id} for /rest/api/3/project/x.
		"/rest/api/3/{kind}/x":                   {"GET": "kindX"},
		"/rest/api/3/file.{ext}":                 {"GET": "file"},
		"/rest/api/3/issue/{id}.json":            {"GET": "issueJSON"},
		"/rest/api/3/issue/{id}":                 {},
		"/rest/atlassian-connect/1/addons/{key}": {"POST": "addon"},
	}
	paths := []string{
		"/rest/api/3", "/rest/api/3/", "/rest/api/3/myself", "/rest/api/3/myself/", "/rest/api/3/project/search",
		"/rest/api/3/project/HELP", "/rest/api/3/project/HELP/role", "/rest/api/3/project/HELP/x", "/rest/api/3/project/x",
		"/rest/api/3/project/HELP/role/x", "/rest/api/3/other", "/rest/api/3/other/role", "/rest/api/3/file.txt",
		"/rest/api/3/issue/1.json", "/rest/api/3/issue/1", "/rest/api/3/a%2Fb", "/rest/api/3/project/a%2Fb",
		"/rest/api/3/%7Bkind%7D", "/rest/atlassian-connect/1/addons/k", "/rest/atlassian-connect/1/addons", "/nope", "/",
	}
	methods := []string{"GET", "PUT", "POST", "DELETE", "PATCH"}
	whole, err := gorillamuxRouter(byPath, slices.Collect(maps.Keys(byPath)))
	if err != nil {
		t.Fatal(err)
	}
	for _, colon := range []bool{false, true} {
		if colon {
			// A template with its own pattern: routed whole.
			byPath["/rest/api/3/x/{rest:.*}"] = map[string]string{"GET": "rest"}
			paths = append(paths, "/rest/api/3/x/a/b")
			if whole, err = gorillamuxRouter(byPath, slices.Collect(maps.Keys(byPath))); err != nil {
				t.Fatal(err)
			}
		}
		grouped, err := newFullRouter(4, byPath)
		if err != nil {
			t.Fatal(err)
		}
		if (grouped.whole != nil) != colon {
			t.Errorf("with a colon in a template: %v, routed whole: %v", colon, grouped.whole != nil)
		}
		for _, p := range paths {
			for _, m := range methods {
				req, err := http.NewRequest(m, "http://spec.invalid"+p, nil)
				if err != nil {
					t.Fatal(err)
				}
				wantRoute, wantParams, wantErr := whole.FindRoute(req)
				gotRoute, gotParams, gotErr := grouped.FindRoute(req)
				switch {
				case gotErr != wantErr:
					t.Errorf("%s %s: routed on its group: %v; on all templates: %v", m, p, gotErr, wantErr)
				case gotErr == nil && (gotRoute.Path != wantRoute.Path || gotRoute.Operation.OperationID != wantRoute.Operation.OperationID || !maps.Equal(gotParams, wantParams)):
					t.Errorf("%s %s: routed on its group to %s (%s, %v); on all templates to %s (%s, %v)", m, p,
						gotRoute.Path, gotRoute.Operation.OperationID, gotParams, wantRoute.Path, wantRoute.Operation.OperationID, wantParams)
				}
			}
		}
	}
}
