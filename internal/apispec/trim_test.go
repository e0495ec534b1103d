package apispec_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/internal/apispec/internal/trim"
)

// TestTrim tests the trim that writes testdata/*.trimmed.json on small
// documents. It lives here rather than in package trim so that the suite
// links one test binary fewer (each costs a second under -race).
func TestTrim(t *testing.T) {
	t.Parallel()
	const doc = `{"openapi":"3.0.1","info":{"title":"t"},"tags":[{"name":"x"}],
"paths":{
 "/a/{id}":{"get":{"security":[{"basic":[]}],"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/A"}}}}}}},
 "/a/search":{"get":{"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/S"}}}}}}},
 "/b":{"get":{"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/B"}}}}}}},
 "/a/{id}/c":{"get":{}}
},
"components":{"schemas":{
 "A":{"properties":{"b":{"$ref":"#/components/schemas/B"}}},
 "B":{"type":"string","example":"\u003cb\u003e"},
 "S":{"discriminator":{"mapping":{"x":"#/components/schemas/X"}}},
 "X":{"type":"integer"},
 "Err":{"type":"object"},
 "Unused":{"type":"object"}
},"securitySchemes":{"basic":{"type":"http"},"oauth":{"type":"oauth2"}}},
"x-atlassian-narrative":{"documents":[]}}`
	tests := []struct {
		name    string
		doc     string
		d       trim.Doc
		want    string
		wantErr string
	}{
		{
			name: "listed path, its overlaps and what they reference",
			doc:  doc,
			d:    trim.Doc{Paths: []string{"/a/{id}"}, Schemas: []string{"Err"}},
			want: `{
  "openapi": "3.0.1",
  "info": {
    "title": "t"
  },
  "paths": {
    "/a/{id}": {
      "get": {
        "security": [
          {
            "basic": []
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/A"
                }
              }
            }
          }
        }
      }
    },
    "/a/search": {
      "get": {
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/S"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "A": {
        "properties": {
          "b": {
            "$ref": "#/components/schemas/B"
          }
        }
      },
      "B": {
        "type": "string",
        "example": "\u003cb\u003e"
      },
      "S": {
        "discriminator": {
          "mapping": {
            "x": "#/components/schemas/X"
          }
        }
      },
      "X": {
        "type": "integer"
      },
      "Err": {
        "type": "object"
      }
    },
    "securitySchemes": {
      "basic": {
        "type": "http"
      }
    }
  }
}
`,
		},
		{name: "path not in the document", doc: doc, d: trim.Doc{Paths: []string{"/nope"}}, wantErr: `no path "/nope"`},
		{name: "unknown top-level key", doc: `{"openapi":"3.0.1","security":[]}`, wantErr: `unknown top-level key "security"`},
		{name: "reference outside components", doc: `{"paths":{"/a":{"get":{"$ref":"#/paths/b"}}},"components":{}}`, d: trim.Doc{Paths: []string{"/a"}}, wantErr: `"#/paths/b" is not to a component`},
		{name: "dangling reference", doc: `{"paths":{"/a":{"get":{"$ref":"#/components/schemas/Z"}}},"components":{"schemas":{}}}`, d: trim.Doc{Paths: []string{"/a"}}, wantErr: "no component schemas/Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := trim.Trim([]byte(tt.doc), tt.d)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Trim error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Trim mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrimFormat tests that the trim writes what it keeps exactly as
// json.Indent does, whatever the spacing of the full document, and that it
// checks the strings it keeps as json.Indent does.
func TestTrimFormat(t *testing.T) {
	t.Parallel()
	// Everything here is kept: one path, and the one component it refers
	// to.
	const doc = " \r\n{ \"openapi\" :\"3.0.1\",\t\"info\":{ },\"servers\":[ ] , \"paths\":{\"/a\":{\"get\":{\n" +
		`"x-list":[1,-0.5e+3,2E7,true,false,null,[],{},[[ ]],{"":""}],` +
		`"x-text":"{[\"]}\\\"\\\\\u00e9\/\ud83d\ude00 ,:","x-key":{"k\"{":"v"},` +
		`"responses":{"200":{"$ref":"#/components/responses/R"}}}}},` +
		`"components":{"responses":{"R":{"description":"x"}}}}`
	want, err := indentLikeJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := trim.Trim([]byte(doc), trim.Doc{Paths: []string{"/a"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Trim mismatch with json.Indent (-want +got):\n%s", diff)
	}

	// The strings the trim keeps are checked.
	for _, bad := range []string{"\"a\x01\"", `"\x"`, `"\u12G4"`, `"\u12"`} {
		doc := `{"tags":[` + bad + `],"paths":{"/a":{"get":{"summary":` + bad + `}}},"components":{}}`
		if _, err := trim.Trim([]byte(doc), trim.Doc{Paths: []string{"/a"}}); err == nil {
			t.Errorf("Trim of a kept string %s: no error", bad)
		}
	}
}

// indentLikeJSON is what the trim wrote before it had its own scanner:
// json.Indent with two spaces, and a newline.
func indentLikeJSON(doc string) (string, error) {
	var b strings.Builder
	var buf = new(bytes.Buffer)
	if err := json.Indent(buf, []byte(doc), "", "  "); err != nil {
		return "", err
	}
	b.Write(buf.Bytes())
	b.WriteByte('\n')
	return b.String(), nil
}

// TestParse tests that trim.Parse rejects what is not JSON and reads the
// operations of a document.
func TestParse(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		``, `[]`, `{"openapi":"3"`, `{"openapi":"3",}`, `{"openapi" "3"}`, `{"openapi":tru}`,
		`{"openapi":01}`, `{"openapi":1.}`, `{"openapi":-}`, `{"openapi":1e}`, `{"openapi":"3"} {}`,
		`{"openapi":"3}`, `{"openapi":[1 2]}`, `{"paths":{"/a":{"get":{"operationId":"\q"}}}}`,
	} {
		if _, err := trim.Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s): no error", bad)
		}
	}

	doc, err := trim.Parse([]byte(`{"paths":{
		"/a":{"summary":"s","parameters":[{"in":"path"}],"get":{"operationId":"getA"},"POST":{"operationId":"x"},
		      "put":{"operationId":"putA","operationId":"putA2"},"delete":[],"x-get":{"operationId":"no"}},
		"/b":{"patch":{"summary":"no id"}},
		"/c":{}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"/a": {"GET": "getA", "PUT": "putA2", "DELETE": ""},
		"/b": {"PATCH": ""},
		"/c": {},
	}
	if diff := cmp.Diff(want, doc.Operations()); diff != "" {
		t.Errorf("Operations mismatch (-want +got):\n%s", diff)
	}
}

// TestSlim tests that trim.Slim drops the prose and the examples of a
// document's objects and nothing else.
func TestSlim(t *testing.T) {
	t.Parallel()
	const doc = `{ "info": {"title": "t", "description": "prose"},
  "paths": {"/a": {"summary": "s", "get": {"description": "d", "operationId": "getA", "x-experimental": true,
    "security": [{"example": []}],
    "parameters": [{"name": "description", "in": "query", "description": "d", "schema": {"type": "string", "description": "d", "example": "x"}}],
    "responses": {"200": {"description": "OK", "content": {"application/json": {"example": {"id": 1}, "examples": {"e": {"$ref": "#/components/examples/E"}},
      "schema": {"$ref": "#/components/schemas/A"}}}}}}}},
  "components": {"schemas": {"A": {"type": "object", "summary": 1, "example": {"description": "gone"},
    "properties": {"description": {"type": "string", "description": "d"}, "summary": {"type": "string"}, "example": {"type": "string", "example": "gone"}},
    "default": {"description": "kept", "summary": "kept", "example": "kept"}, "enum": [{"description": "kept"}],
    "allOf": [{"example": 1}],
    "discriminator": {"propertyName": "kind", "mapping": {"description": "#/components/schemas/B", "example": "#/components/schemas/C"}},
    "x-notes": {"description": "kept"}, "descr\u0069ption": "escaped key"}},
  "examples": {"E": {"summary": "gone", "value": 1}},
  "securitySchemes": {"basic": {"type": "http", "scheme": "basic", "description": "d"}}}}`
	const want = `{"info":{"title":"t"},` +
		`"paths":{"/a":{"get":{"operationId":"getA","x-experimental":true,` +
		`"security":[{"example":[]}],` +
		`"parameters":[{"name":"description","in":"query","schema":{"type":"string"}}],` +
		`"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/A"}}}}}}}},` +
		`"components":{"schemas":{"A":{"type":"object","summary":1,` +
		`"properties":{"description":{"type":"string"},"summary":{"type":"string"},"example":{"type":"string"}},` +
		`"default":{"description":"kept","summary":"kept","example":"kept"},"enum":[{"description":"kept"}],` +
		`"allOf":[{}],` +
		`"discriminator":{"propertyName":"kind","mapping":{"description":"#/components/schemas/B","example":"#/components/schemas/C"}},` +
		`"x-notes":{"description":"kept"}}},` +
		`"securitySchemes":{"basic":{"type":"http","scheme":"basic"}}}}`
	got, err := trim.Slim([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Slim mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`{"a":1,}`, `{"a":1} x`, `[1,,2]`, `{"\q":1}`} {
		if _, err := trim.Slim([]byte(bad)); err == nil {
			t.Errorf("Slim(%s): no error", bad)
		}
	}
}
