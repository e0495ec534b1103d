package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// go-redis logs through one process-wide logger, by default plain text on
// stderr: between run's JSON lines, and into doctor's output. It is routed
// here instead, once: to the logger in the operation's context, else to
// the one jsmbot run installed, else nowhere (the other commands report
// Redis failures themselves).
var (
	redisLogOnce sync.Once
	redisLogTo   atomic.Pointer[slog.Logger]
)

// routeRedisLogs replaces go-redis's logger with slog; when l is not nil,
// it is the logger of lines whose context has none.
func routeRedisLogs(l *slog.Logger) {
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{}) })
	if l != nil {
		redisLogTo.Store(l)
	}
}

type redisLogKey struct{}

// withRedisLog makes go-redis log the operations under ctx to l.
func withRedisLog(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, redisLogKey{}, l)
}

// redisLogger is go-redis's Logging on slog. go-redis logs only trouble
// (failed dials, pool problems), so its lines are warnings.
type redisLogger struct{}

// Printf logs one go-redis line at warn level, as "redis: …".
func (redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	l, _ := ctx.Value(redisLogKey{}).(*slog.Logger)
	if l == nil {
		l = redisLogTo.Load()
	}
	if l == nil {
		return
	}
	l.WarnContext(ctx, "redis: "+strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
}

// shutWriter passes writes through to w until it is shut; later writes are
// dropped. A logger that goroutines outliving a command may still use
// (go-redis dials on goroutines of its own, which log when they fail)
// writes through one, so nothing reaches the command's stderr after it
// returned.
type shutWriter struct {
	mu   sync.Mutex
	w    io.Writer
	shut bool
}

func (s *shutWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shut {
		return len(p), nil
	}
	return s.w.Write(p)
}

// Shut waits for a write under way and drops every later one.
func (s *shutWriter) Shut() {
	s.mu.Lock()
	s.shut = true
	s.mu.Unlock()
}
