package diagnosis_test

import (
	"go/build"
	"strings"
	"testing"
)

// TestPurity keeps the package free of I/O, clocks and randomness by
// allowing only pure standard-library imports, and no package of ours (the
// dependency direction is one-way: others import diagnosis).
func TestPurity(t *testing.T) {
	t.Parallel()
	allowed := map[string]bool{
		"cmp": true, "crypto/sha256": true, "encoding/hex": true, "errors": true, "fmt": true,
		"hash": true, "maps": true, "slices": true, "sort": true, "strconv": true, "strings": true,
		"unicode": true, "unicode/utf8": true,
	}
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Imports) == 0 {
		t.Fatal("found no imports; is go/build reading the right directory?")
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "github.com/jsmbot/") {
			t.Errorf("diagnosis imports %q: it must not import other packages of ours", imp)
			continue
		}
		if !allowed[imp] {
			t.Errorf("diagnosis imports %q, which is not on the allow-list of pure standard packages", imp)
		}
	}
}
