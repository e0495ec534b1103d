package main

import (
	"context"
	"errors"
	"io"
)

// runBot runs the Slack bot until ctx ends.
func runBot(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return errors.New("jsmbot run: the Slack bot is not built yet")
}
