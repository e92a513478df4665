package lambdaruntime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// Ledger is the ground truth of a run: one JSON line per invocation (a
// Result), independent of what faasight received. It is safe for
// concurrent use; lines are buffered and flushed on Close.
type Ledger struct {
	closer io.Closer // the file Create opened; nil for NewLedger

	// mu guards w, enc and err: one line is written whole.
	mu  sync.Mutex
	w   *bufio.Writer
	enc *json.Encoder
	err error // sticky: the first write error fails every later Record
}

var _ Recorder = (*Ledger)(nil)

// NewLedger writes lines to w; Close flushes but does not close w.
func NewLedger(w io.Writer) *Ledger {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &Ledger{w: bw, enc: json.NewEncoder(bw)}
}

// CreateLedger creates (or truncates) the ledger file at path.
func CreateLedger(path string) (*Ledger, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	l := NewLedger(f)
	l.closer = f
	return l, nil
}

// Record appends r as one line.
func (l *Ledger) Record(r Result) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if l.enc == nil {
		return errors.New("ledger: record after close")
	}
	if err := l.enc.Encode(&r); err != nil {
		l.err = fmt.Errorf("ledger: write %s: %w", r.RequestID, err)
		return l.err
	}
	return nil
}

// Close flushes the buffered lines and closes the file CreateLedger opened.
func (l *Ledger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.enc == nil {
		return nil
	}
	l.enc = nil
	err := l.err
	if ferr := l.w.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("ledger: flush: %w", ferr)
	}
	if l.closer != nil {
		if cerr := l.closer.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("ledger: close: %w", cerr)
		}
	}
	return err
}

// ReadLedger parses a ledger back, calling fn for each line in order. A
// line that does not parse is an error naming its line number.
func ReadLedger(r io.Reader, fn func(Result) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var res Result
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&res); err != nil {
			return fmt.Errorf("ledger: line %d: %w", line, err)
		}
		if err := fn(res); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("ledger: read: %w", err)
	}
	return nil
}
