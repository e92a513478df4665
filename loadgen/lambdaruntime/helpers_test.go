package lambdaruntime

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"
)

// echofnPath is the test function (testdata/echofn), built once by TestMain.
var echofnPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "faasight-runtime-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	echofnPath = filepath.Join(dir, "echofn")
	build := exec.Command("go", "build", "-o", echofnPath, "./testdata/echofn")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build testdata/echofn: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// initMS is echofn's init work in the tests: the floor of every INIT duration.
const initMS = 50

// echo is the test function's configuration; change applies per test.
func echo(name string, change ...func(*Function)) Function {
	f := Function{
		Name:        name,
		Path:        echofnPath,
		Env:         []string{fmt.Sprintf("ECHOFN_INIT_MS=%d", initMS)},
		MemoryMB:    256,
		Timeout:     5 * time.Second,
		KeepAlive:   time.Minute,
		Concurrency: 2,
	}
	for _, c := range change {
		c(&f)
	}
	return f
}

// newRuntime starts a runtime closed at cleanup, and checks then that
// every goroutine it started is gone.
func newRuntime(tb testing.TB, opts Options, fns ...Function) *Runtime {
	tb.Helper()
	before := goruntime.NumGoroutine()
	if opts.ReapInterval == 0 {
		opts.ReapInterval = 10 * time.Millisecond
	}
	if opts.StopGrace == 0 {
		opts.StopGrace = 200 * time.Millisecond
	}
	r, err := New(opts, fns...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() {
		if err := r.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
		r.mu.Lock()
		left := len(r.envs)
		r.mu.Unlock()
		if left != 0 {
			tb.Errorf("after Close: %d environments left", left)
		}
		waitFor(tb, 5*time.Second, "goroutines back to the count before New", func() bool {
			return goruntime.NumGoroutine() <= before
		})
	})
	return r
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, limit time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			buf = buf[:goruntime.Stack(buf, true)]
			tb.Fatalf("waited %v for %s\n%s", limit, what, buf)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type event struct {
	SleepMS int    `json:"sleep_ms,omitempty"`
	Error   string `json:"error,omitempty"`
	Panic   string `json:"panic,omitempty"`
	Exit    int    `json:"exit,omitempty"`
	AllocMB int    `json:"alloc_mb,omitempty"`
}

type echoResponse struct {
	RequestID   string `json:"request_id"`
	Function    string `json:"function"`
	Version     string `json:"version"`
	MemoryMB    int    `json:"memory_mb"`
	LogStream   string `json:"log_stream"`
	Handler     string `json:"handler"`
	Region      string `json:"region"`
	PID         int    `json:"pid"`
	Invocations int64  `json:"invocations"`
	HasDeadline bool   `json:"has_deadline"`
}

func invoke(tb testing.TB, r *Runtime, fn string, ev event) Result {
	tb.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := r.Invoke(context.Background(), fn, payload)
	if err != nil {
		tb.Fatalf("Invoke %s %+v: %v", fn, ev, err)
	}
	return res
}

func wantStatus(tb testing.TB, res Result, want Status) {
	tb.Helper()
	if res.Status != want {
		tb.Fatalf("status %s (%s: %s), want %s", res.Status, res.ErrorType, res.ErrorMessage, want)
	}
}

func decode(tb testing.TB, res Result) echoResponse {
	tb.Helper()
	var out echoResponse
	if err := json.Unmarshal(res.Response, &out); err != nil {
		tb.Fatalf("response %q: %v", res.Response, err)
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
