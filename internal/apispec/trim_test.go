package apispec_test

import (
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
