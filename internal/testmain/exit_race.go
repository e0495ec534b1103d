//go:build race

package testmain

import "syscall"

// exit leaves the process without the race runtime's exit sleep: os.Exit
// would run its finalizer, which sleeps a second before it exits.
func exit(code int) { syscall.Exit(code) }
