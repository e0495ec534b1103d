package faulttest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binary is the jsmbot binary TestMain built for this run.
var binary string

// TestMain builds jsmbot once for every test of the package.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jsmbot-faulttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faulttest:", err)
		os.Exit(1)
	}
	code, err := build(dir)
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, "faulttest:", err)
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// build builds ./cmd/jsmbot of this module into dir and sets binary.
func build(dir string) (int, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return 1, fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return 1, fmt.Errorf("not inside the jsmbot module")
	}
	binary = filepath.Join(dir, "jsmbot")
	cmd := exec.Command("go", "build", "-o", binary, "./cmd/jsmbot")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return 1, fmt.Errorf("go build ./cmd/jsmbot: %w\n%s", err, out)
	}
	return 0, nil
}
