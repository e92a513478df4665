package lambdaruntime

import (
	"bytes"
	"io"
	"log"
	"log/slog"
	"sync"
)

// lockedWriter lets many processes' output copiers share one writer.
type lockedWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// slogWriter turns the API servers' log.Logger output (connection errors)
// into debug records: a function that dies mid-request is routine here.
type slogWriter struct{ log *slog.Logger }

func (s *slogWriter) Write(p []byte) (int, error) {
	s.log.Debug("runtime API server", "msg", string(bytes.TrimSpace(p)))
	return len(p), nil
}

func (s *slogWriter) logger() *log.Logger { return log.New(s, "", 0) }
