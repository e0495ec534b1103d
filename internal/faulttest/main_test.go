package faulttest

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/jsmbot/jsmbot/internal/testmain"
)

// The jsmbot binary of this run: the first site starts its build, beside
// the simulators and Redis; a test waits for it only when it starts a
// child. A run whose tests start no child builds nothing.
var (
	buildOnce sync.Once
	built     = make(chan struct{})
	// binary and buildErr are set before built is closed.
	binary   string
	buildErr error
)

// startBuild starts the build once.
func startBuild() {
	buildOnce.Do(func() {
		go func() {
			defer close(built)
			binary, buildErr = build()
		}()
	})
}

// jsmbotBinary waits for the build and returns the binary's path, failing
// the test if the build failed.
func jsmbotBinary(t *testing.T) string {
	t.Helper()
	startBuild()
	<-built
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// parallel is how many of the tests run at once unless -parallel says
// otherwise: each spends most of its time waiting for its children (a
// lease to run out, a slow write, a drain), so that running them all at
// once shortens the run even where GOMAXPROCS, the default, is 2.
const parallel = 4

// TestMain runs the tests; the binary they share is built by startBuild.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set && runtime.GOMAXPROCS(0) < parallel {
		if err := flag.Set("test.parallel", strconv.Itoa(parallel)); err != nil {
			fmt.Fprintln(os.Stderr, "faulttest:", err)
			os.Exit(2)
		}
	}
	testmain.Exit(m.Run())
}

// build builds jsmbot from the sources of the module holding the working
// directory (the package's, under go test) into a directory of this user
// and this checkout that outlives the run. go build links again only when
// the binary already there is not the one the sources make (it compares
// the build ID it stamps in the binary with the one it computes), so a
// run on unchanged sources skips the link (about 1.5 s of CPU) and never
// runs a stale binary. The new binary replaces the old by a rename from
// go's work directory, also under os.TempDir, so that a concurrent run's
// children keep the file they started. It passes no flags, so that the
// packages come from the build cache a plain `go build` filled (the
// test's own -race does not reach it).
func build() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(wd))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("jsmbot-faulttest-%d-%x", os.Getuid(), sum[:8]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "jsmbot")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/jsmbot/jsmbot/cmd/jsmbot")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build cmd/jsmbot: %w\n%s", err, out)
	}
	return bin, nil
}
