package apispec

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
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
			want, err := trim.Trim(full, d)
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
