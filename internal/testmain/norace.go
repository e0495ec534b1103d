//go:build !race

package testmain

import "os"

// setup does nothing: without the race detector the defaults serve, and
// benchmarks that report memory see the runtime as users run it.
func setup() {}

// exit is os.Exit: without the race detector there is no sleep to skip.
func exit(code int) { os.Exit(code) }
