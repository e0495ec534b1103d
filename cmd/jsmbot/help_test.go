package main

import (
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCommandHelp: every command answers -h and --help with its usage on
// stdout and exit 0, not "flag: help requested" and exit 2.
func TestCommandHelp(t *testing.T) {
	t.Parallel()
	var tests [][]string
	for name := range commandHelp {
		tests = append(tests, []string{name, "--help"}, []string{name, "-h"}, []string{"help", name})
	}
	tests = append(tests, []string{"diagnose", "HELP", "--help"}, []string{"fix", "HELP", "--yes", "-help"})
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			name := args[0]
			if name == "help" {
				name = args[1]
			}
			code, out, errOut := cli(t, nil, nil, args...)
			if code != exitOK || errOut != "" {
				t.Errorf("exit code %d, stderr %q; want 0 and nothing", code, errOut)
			}
			if want := "Usage: jsmbot " + name; !strings.HasPrefix(out, want) {
				t.Errorf("stdout = %q, want it to start with %q", out, want)
			}
		})
	}
	_, out, _ := cli(t, nil, nil, "diagnose", "--help")
	for _, flag := range []string{"-json", "-timeout", "1m0s"} {
		if !strings.Contains(out, flag) {
			t.Errorf("diagnose --help does not show %s:\n%s", flag, out)
		}
	}
}

func TestVersionLine(t *testing.T) {
	t.Parallel()
	info := func(version string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Path: "github.com/jsmbot/jsmbot", Version: version}, Settings: settings}, true
		}
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	tests := []struct {
		name string
		set  string
		read func() (*debug.BuildInfo, bool)
		want string
	}{
		{"set by the image", "v1.2.0", info("(devel)"), "jsmbot v1.2.0"},
		{"module version", "", info("v1.3.1"), "jsmbot v1.3.1"},
		{"from a checkout", "", info("(devel)",
			debug.BuildSetting{Key: "vcs.revision", Value: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"},
			debug.BuildSetting{Key: "vcs.time", Value: "2026-11-30T12:00:00Z"},
			debug.BuildSetting{Key: "vcs.modified", Value: "true"}),
			"jsmbot (devel) (commit 0a1b2c3d4e5f, 2026-11-30T12:00:00Z, modified)"},
		{"no build info", "", none, "jsmbot (devel)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, versionLine(tt.set, tt.read)); diff != "" {
				t.Errorf("versionLine (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	code, out, errOut := cli(t, nil, nil, "version")
	if code != exitOK || !strings.HasPrefix(out, "jsmbot ") || strings.Count(out, "\n") != 1 {
		t.Errorf("jsmbot version: exit %d, stdout %q, stderr %q; want 0 and one line", code, out, errOut)
	}
	if code, _, _ := cli(t, nil, nil, "version", "extra"); code != exitUsage {
		t.Errorf("jsmbot version extra: exit %d, want %d", code, exitUsage)
	}
}

// silentJira returns the URL of a server that accepts connections and
// never answers.
func silentJira(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// TestTimeout: a Jira that never answers is reported when --timeout
// passes, with what to check.
func TestTimeout(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"diagnose", "HELP"}, {"diagnose", "HELP", "--json"}, {"fix", "HELP", "--yes"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			code, _, errOut := cli(t, nil, map[string]string{
				"JIRA_BASE_URL": silentJira(t), "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t",
			}, append(args, "--timeout", "100ms")...)
			if code != exitFailed {
				t.Errorf("exit code %d, want %d", code, exitFailed)
			}
			if want := "jsmbot: Jira did not answer in time: check that JIRA_BASE_URL is the Jira site"; !strings.HasPrefix(errOut, want) {
				t.Errorf("stderr = %q, want %q", errOut, want)
			}
		})
	}
	for _, bad := range []string{"0s", "-1s", "soon"} {
		if code, _, _ := cli(t, nil, nil, "diagnose", "HELP", "--timeout", bad); code != exitUsage {
			t.Errorf("--timeout %s: exit %d, want %d", bad, code, exitUsage)
		}
	}
}
