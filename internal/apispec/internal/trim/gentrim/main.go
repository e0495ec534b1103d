// Command gentrim writes the trimmed OpenAPI documents of internal/apispec
// (see package trim). It runs from go generate in internal/apispec, reads
// testdata/<full> and writes testdata/<trimmed> for every document.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/jsmbot/jsmbot/internal/apispec/internal/trim"
)

func main() {
	if err := run("testdata"); err != nil {
		fmt.Fprintln(os.Stderr, "gentrim:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	for _, d := range trim.Docs {
		full, err := os.ReadFile(filepath.Join(dir, d.Full))
		if err != nil {
			return err
		}
		out, err := trim.Trim(full, d)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, d.Trimmed), out, 0o644); err != nil {
			return err
		}
	}
	return nil
}
