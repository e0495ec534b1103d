//go:build race

package testmain

import (
	"os"
	"runtime/debug"
	"syscall"
)

// gcPercent is the GOGC of a race-enabled test binary. The race runtime
// makes every collection dearer (it clears the shadow state of each freed
// object), and a test binary lives seconds with a heap of tens of
// megabytes, so collecting a quarter as often cuts the CPU of our larger
// test binaries by 5–10% (cmd/jsmbot 11.7 s to 10.6 s) for some extra
// resident memory (220 MB to 325 MB).
const gcPercent = 400

// setup raises the GC target unless GOGC says otherwise.
func setup() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

// exit leaves the process without the race runtime's exit sleep: os.Exit
// would run its finalizer, which sleeps a second before it exits.
func exit(code int) { syscall.Exit(code) }
