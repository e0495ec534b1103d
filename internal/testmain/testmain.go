// Package testmain is the TestMain of every test binary in this module:
//
//	func TestMain(m *testing.M) { testmain.Run(m) }
//
// It tunes race-enabled test binaries, which is how CI runs them, in two
// ways; without -race it changes nothing.
//
//   - A test binary that exits through os.Exit first sleeps one second in
//     the race runtime (the ThreadSanitizer flag atexit_sleep_ms, whose
//     default Go cannot change: golang/go#20364), so `go test -race ./...`
//     pays a second per package, spent doing nothing. Run exits without
//     that sleep. Nothing is lost: package testing already fails the test,
//     or the run, during which the race runtime reported a race, and our
//     tests stop the goroutines they start before they return.
//   - The garbage collector runs a quarter as often (GOGC=400 unless GOGC
//     is set): each collection is dearer under the race runtime, and a test
//     binary's heap is small and short-lived.
//
// A new test package gets the same line in a file named testmain_test.go.
// A package whose TestMain must do more (internal/faulttest builds the
// binary) ends it with [Exit] instead of os.Exit; cmd/jsmbot's
// TestEveryTestBinaryUsesTestmain fails for a package that does neither.
// Anything every test binary needs at start or exit goes here.
package testmain

import "testing"

// Run runs the tests and benchmarks of m and exits with their status.
func Run(m *testing.M) {
	setup()
	Exit(m.Run())
}

// Exit ends the test binary with code, as os.Exit does, without the race
// runtime's exit sleep.
func Exit(code int) {
	exit(code)
}
