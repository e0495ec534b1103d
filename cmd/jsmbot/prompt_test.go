package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// TestFixWithoutTerminalRefusesFirst: with no terminal and no --yes, fix
// refuses before it calls Jira at all.
func TestFixWithoutTerminalRefusesFirst(t *testing.T) {
	t.Parallel()
	sim := siteOf(t, "NOPA")
	code, out, errOut := cli(t, sim, nil, "fix", "NOPA")
	if code != exitUsage || !strings.Contains(errOut, "fix needs --yes when no terminal can confirm the change") {
		t.Errorf("exit %d, stderr %q; want %d and the refusal", code, errOut, exitUsage)
	}
	if out != "" {
		t.Errorf("stdout = %q, want nothing: no diagnosis before the refusal", out)
	}
	if reqs := sim.Requests(); len(reqs) != 0 {
		t.Errorf("fix called Jira %d times before refusing, first %s %s", len(reqs), reqs[0].Method, reqs[0].Path)
	}
}

// TestFixDeclined: answering no changes nothing and exits 4, its own
// code, not 1 ("could not").
func TestFixDeclined(t *testing.T) {
	t.Parallel()
	sim := siteOf(t, "NOPA")
	env := map[string]string{"JIRA_BASE_URL": sim.URL, "JIRA_EMAIL": jirasim.DefaultEmail, "JIRA_API_TOKEN": jirasim.DefaultToken}
	engine, err := setup(func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err = fix(t.Context(), engine, "NOPA", fixOptions{mode: diagnosis.ModeAuto, timeout: defaultTimeout}, strings.NewReader("n\n"), &out, io.Discard)
	if code := report(err, &errOut); code != exitDeclined || exitDeclined != 4 {
		t.Errorf("exit code %d, want 4 (stderr %q)", code, errOut.String())
	}
	if !strings.Contains(out.String(), "Nothing changed.") || errOut.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want \"Nothing changed.\" and no error line", out.String(), errOut.String())
	}
	for _, r := range sim.Requests() {
		if isWrite(r.Method, r.Path) {
			t.Errorf("a declined fix wrote to Jira: %s %s", r.Method, r.Path)
		}
	}
}

// TestAskStopsOnCancel: Ctrl-C (ctx cancelled) ends the prompt at once,
// though nobody pressed Enter.
func TestAskStopsOnCancel(t *testing.T) {
	t.Parallel()
	stdin, w := io.Pipe() // never written: nobody answers
	t.Cleanup(func() { _ = w.Close() })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := ask(ctx, stdin, io.Discard, "Apply? ")
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("ask = %v, want context.Canceled", err)
	}
	if got := describe(context.Canceled); got != "interrupted" {
		t.Errorf("describe(Canceled) = %q, want interrupted", got)
	}
}
