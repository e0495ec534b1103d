package faulttest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/internal/testmain"
)

// built is the jsmbot binary TestMain builds for this run: the build runs
// beside the tests, which wait for it only when they start a child (their
// simulators and Redis start meanwhile).
var built = make(chan struct{})

// binary and buildErr are set before built is closed.
var (
	binary   string
	buildErr error
)

// jsmbotBinary waits for TestMain's build and returns the binary's path,
// failing the test if the build failed.
func jsmbotBinary(t *testing.T) string {
	t.Helper()
	<-built
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// TestMain builds jsmbot once for every test of the package.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jsmbot-faulttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faulttest:", err)
		os.Exit(1)
	}
	go func() {
		defer close(built)
		binary, buildErr = build(dir)
	}()
	code := m.Run()
	<-built // the build writes into dir
	_ = os.RemoveAll(dir)
	testmain.Exit(code)
}

// build builds ./cmd/jsmbot of this module into dir. It passes no flags,
// so that the packages come from the build cache a plain `go build`
// filled (the test's own -race does not reach it); only the link runs.
func build(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the jsmbot module")
	}
	bin := filepath.Join(dir, "jsmbot")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/jsmbot")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/jsmbot: %w\n%s", err, out)
	}
	return bin, nil
}
