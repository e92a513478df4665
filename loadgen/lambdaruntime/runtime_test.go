package lambdaruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestColdThenWarm(t *testing.T) {
	r := newRuntime(t, Options{}, echo("echo"))

	first := invoke(t, r, "echo", event{})
	wantStatus(t, first, StatusOK)
	if !first.ColdStart {
		t.Error("first invocation: not a cold start")
	}
	if first.InitDuration < initMS*time.Millisecond {
		t.Errorf("INIT duration %v, want at least the function's %d ms init", first.InitDuration, initMS)
	}
	if first.MaxRSSBytes <= 0 {
		t.Errorf("max RSS %d, want > 0", first.MaxRSSBytes)
	}
	got := decode(t, first)
	want := echoResponse{
		RequestID: first.RequestID, Function: "echo", Version: "$LATEST", MemoryMB: 256,
		LogStream: got.LogStream, Handler: "echofn", Region: DefaultRegion, PID: got.PID,
		Invocations: 1, HasDeadline: true,
	}
	if got != want {
		t.Errorf("function saw %+v\nwant %+v", got, want)
	}
	if !strings.HasSuffix(got.LogStream, "[$LATEST]"+first.Environment) {
		t.Errorf("log stream %q does not name environment %s", got.LogStream, first.Environment)
	}

	second := invoke(t, r, "echo", event{})
	wantStatus(t, second, StatusOK)
	if second.ColdStart || second.InitDuration != 0 {
		t.Errorf("second invocation: cold=%v init=%v, want a warm one", second.ColdStart, second.InitDuration)
	}
	if second.Environment != first.Environment {
		t.Errorf("second invocation ran in %s, want the warm %s", second.Environment, first.Environment)
	}
	if g := decode(t, second); g.PID != got.PID || g.Invocations != 2 {
		t.Errorf("second invocation: pid %d invocation #%d, want pid %d invocation #2", g.PID, g.Invocations, got.PID)
	}
	if live, idle := r.Environments("echo"); live != 1 || idle != 1 {
		t.Errorf("environments live=%d idle=%d, want 1 and 1", live, idle)
	}
}

func TestDuration(t *testing.T) {
	r := newRuntime(t, Options{}, echo("echo"))
	res := invoke(t, r, "echo", event{SleepMS: 100})
	wantStatus(t, res, StatusOK)
	if res.Duration < 100*time.Millisecond {
		t.Errorf("duration %v, want at least the handler's 100ms", res.Duration)
	}
}

func TestThrottle(t *testing.T) {
	r := newRuntime(t, Options{}, echo("echo", func(f *Function) { f.Concurrency = 1 }))

	release := make(chan Result)
	go func() {
		release <- invoke(t, r, "echo", event{SleepMS: 300})
	}()
	waitFor(t, 5*time.Second, "the first invocation to hold the only environment", func() bool {
		live, _ := r.Environments("echo")
		return live == 1
	})
	res := invoke(t, r, "echo", event{})
	wantStatus(t, res, StatusThrottled)
	if res.Environment != "" || res.ColdStart || res.RequestID == "" {
		t.Errorf("throttled result %+v: want a request id, no environment, no cold start", res)
	}
	wantStatus(t, <-release, StatusOK)
	wantStatus(t, invoke(t, r, "echo", event{}), StatusOK) // the slot is free again
}

func TestTimeoutReplacesEnvironment(t *testing.T) {
	const timeout = 200 * time.Millisecond
	r := newRuntime(t, Options{}, echo("echo", func(f *Function) { f.Timeout = timeout }))

	warm := invoke(t, r, "echo", event{})
	wantStatus(t, warm, StatusOK)
	res := invoke(t, r, "echo", event{SleepMS: 10_000})
	wantStatus(t, res, StatusTimeout)
	if res.Duration < timeout {
		t.Errorf("timeout after %v, want at least %v", res.Duration, timeout)
	}
	if res.Environment != warm.Environment || res.ColdStart {
		t.Errorf("timed-out invocation ran in %s cold=%v, want warm %s", res.Environment, res.ColdStart, warm.Environment)
	}
	if !contains(res.ErrorMessage, "timed out") {
		t.Errorf("error message %q", res.ErrorMessage)
	}
	waitFor(t, 5*time.Second, "the timed-out environment to go", func() bool {
		live, _ := r.Environments("echo")
		return live == 0
	})
	next := invoke(t, r, "echo", event{})
	wantStatus(t, next, StatusOK)
	if !next.ColdStart || next.Environment == warm.Environment {
		t.Errorf("after a timeout: cold=%v env=%s, want a new environment", next.ColdStart, next.Environment)
	}
}

func TestHandlerError(t *testing.T) {
	r := newRuntime(t, Options{}, echo("echo"))
	res := invoke(t, r, "echo", event{Error: "bad input: no id"})
	wantStatus(t, res, StatusError)
	if res.ErrorMessage != "bad input: no id" || res.ErrorType != "errorString" {
		t.Errorf("error %s: %q, want errorString: %q", res.ErrorType, res.ErrorMessage, "bad input: no id")
	}
	// A handled error does not end the environment.
	next := invoke(t, r, "echo", event{})
	wantStatus(t, next, StatusOK)
	if next.ColdStart || next.Environment != res.Environment {
		t.Errorf("after a handler error: cold=%v env=%s, want the same warm %s", next.ColdStart, next.Environment, res.Environment)
	}
}

func TestCrashReplacesEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ev       event
		wantType string
		wantMsg  string
	}{
		{"panic", event{Panic: "nil map"}, "", "nil map"},
		{"exit", event{Exit: 7}, "Runtime.ExitError", "exit status 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t, Options{}, echo("echo"))
			res := invoke(t, r, "echo", tc.ev)
			wantStatus(t, res, StatusError)
			if tc.wantType != "" && res.ErrorType != tc.wantType {
				t.Errorf("error type %q, want %q", res.ErrorType, tc.wantType)
			}
			if !contains(res.ErrorMessage, tc.wantMsg) {
				t.Errorf("error message %q, want it to contain %q", res.ErrorMessage, tc.wantMsg)
			}
			// No wait: Invoke returns only once the crashed environment is gone.
			if live, _ := r.Environments("echo"); live != 0 {
				t.Errorf("%d environments live after the crash, want 0", live)
			}
			next := invoke(t, r, "echo", event{})
			wantStatus(t, next, StatusOK)
			if !next.ColdStart || next.Environment == res.Environment {
				t.Errorf("after a crash: cold=%v env=%s, want a new environment", next.ColdStart, next.Environment)
			}
		})
	}
}

func TestInitFailure(t *testing.T) {
	r := newRuntime(t, Options{}, echo("broken", func(f *Function) {
		f.Env = append(f.Env, "ECHOFN_INIT_FAIL=1")
	}))
	res := invoke(t, r, "broken", event{})
	wantStatus(t, res, StatusError)
	if !res.ColdStart || res.ErrorType != "Runtime.ExitError" || !contains(res.ErrorMessage, "exit status 3") {
		t.Errorf("init failure: cold=%v %s: %q", res.ColdStart, res.ErrorType, res.ErrorMessage)
	}
	if res.InitDuration < initMS*time.Millisecond {
		t.Errorf("INIT duration %v, want at least %d ms", res.InitDuration, initMS)
	}
	if live, _ := r.Environments("broken"); live != 0 {
		t.Errorf("%d environments live, want 0", live)
	}
}

func TestKeepAliveExpiry(t *testing.T) {
	r := newRuntime(t, Options{}, echo("echo", func(f *Function) { f.KeepAlive = 100 * time.Millisecond }))
	first := invoke(t, r, "echo", event{})
	wantStatus(t, first, StatusOK)
	waitFor(t, 5*time.Second, "the idle environment to be reaped", func() bool {
		live, _ := r.Environments("echo")
		return live == 0
	})
	next := invoke(t, r, "echo", event{})
	wantStatus(t, next, StatusOK)
	if !next.ColdStart || next.Environment == first.Environment {
		t.Errorf("after keep-alive: cold=%v env=%s, want a new environment", next.ColdStart, next.Environment)
	}
}

func TestExpiredEnvironmentIsNeverReused(t *testing.T) {
	// The reaper runs rarely here: Invoke itself must refuse the expired one.
	r := newRuntime(t, Options{ReapInterval: time.Hour}, echo("echo", func(f *Function) { f.KeepAlive = time.Nanosecond }))
	first := invoke(t, r, "echo", event{})
	next := invoke(t, r, "echo", event{})
	wantStatus(t, next, StatusOK)
	if !next.ColdStart || next.Environment == first.Environment {
		t.Errorf("cold=%v env=%s, want a new environment", next.ColdStart, next.Environment)
	}
}

func TestMaxRSS(t *testing.T) {
	r := newRuntime(t, Options{}, echo("echo"))
	res := invoke(t, r, "echo", event{AllocMB: 48})
	wantStatus(t, res, StatusOK)
	if res.MaxRSSBytes < 48<<20 {
		t.Errorf("max RSS %d bytes, want at least the 48 MiB the handler touched", res.MaxRSSBytes)
	}
	if res.MemoryMB != 256 || res.Architecture == "" {
		t.Errorf("memory %d MB, architecture %q: want the configured 256 and the host's", res.MemoryMB, res.Architecture)
	}
}

func TestLedgerMatchesResults(t *testing.T) {
	var buf bytes.Buffer
	ledger := NewLedger(&buf)
	const workers, each = 3, 8
	r := newRuntime(t, Options{Ledger: ledger},
		echo("echo", func(f *Function) { f.Concurrency = workers }),
		echo("single", func(f *Function) { f.Concurrency = 1 }))

	var mu sync.Mutex
	results := map[string]Result{}
	keep := func(res Result) {
		mu.Lock()
		defer mu.Unlock()
		results[res.RequestID] = res
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				ev := event{}
				if i%4 == 3 {
					ev.Error = "fail " + string(rune('a'+w))
				}
				keep(invoke(t, r, "echo", ev))
			}
		})
	}
	// And a throttled line: hold the only slot of "single", then invoke it.
	wg.Go(func() { keep(invoke(t, r, "single", event{SleepMS: 200})) })
	waitFor(t, 5*time.Second, "single's slot to be taken", func() bool {
		live, _ := r.Environments("single")
		return live == 1
	})
	throttled := invoke(t, r, "single", event{})
	wantStatus(t, throttled, StatusThrottled)
	keep(throttled)
	wg.Wait()
	if err := ledger.Close(); err != nil {
		t.Fatal(err)
	}

	n := 0
	err := ReadLedger(&buf, func(got Result) error {
		n++
		want, ok := results[got.RequestID]
		if !ok {
			return errors.New("ledger line for an unknown request " + got.RequestID)
		}
		want.Response = nil
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(got)
		if !bytes.Equal(wj, gj) {
			t.Errorf("ledger line\n%s\nwant\n%s", gj, wj)
		}
		if !got.Start.Equal(want.Start) || got.Duration != want.Duration {
			t.Errorf("ledger %s: start %v duration %v, want %v %v", got.RequestID, got.Start, got.Duration, want.Start, want.Duration)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(results) || n != workers*each+2 {
		t.Errorf("%d ledger lines for %d results, want %d", n, len(results), workers*each+2)
	}
	statuses := map[Status]int{}
	for _, res := range results {
		statuses[res.Status]++
	}
	// One worker per slot never throttles; every fourth invocation fails.
	want := map[Status]int{StatusOK: workers*each*3/4 + 1, StatusError: workers * each / 4, StatusThrottled: 1}
	if !maps.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
}

func TestLedgerRejectsGarbage(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"not json", "{\"request_id\":\"a\"}\nnope\n", "line 2"},
		{"unknown field", "{\"request_id\":\"a\",\"cost\":1}\n", "line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ReadLedger(strings.NewReader(tc.in), func(Result) error { return nil })
			if err == nil || !contains(err.Error(), tc.want) {
				t.Errorf("ReadLedger: %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestCloseEndsInFlightInvocation(t *testing.T) {
	r, err := New(Options{StopGrace: 100 * time.Millisecond}, echo("echo"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := r.Invoke(context.Background(), "echo", []byte(`{"sleep_ms":10000}`))
		done <- err
	}()
	waitFor(t, 5*time.Second, "the invocation to run", func() bool {
		live, idle := r.Environments("echo")
		return live == 1 && idle == 0
	})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("in-flight Invoke: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight Invoke did not return after Close")
	}
	if _, err := r.Invoke(context.Background(), "echo", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close: %v, want ErrClosed", err)
	}
}

func TestInvokeRefusals(t *testing.T) {
	r := newRuntime(t, Options{}, echo("echo"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		fn      string
		payload []byte
		want    error
	}{
		{"unknown function", context.Background(), "nope", nil, ErrUnknownFunction},
		{"payload too large", context.Background(), "echo", make([]byte, MaxPayloadBytes+1), ErrPayloadTooLarge},
		{"cancelled", ctx, "echo", nil, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := r.Invoke(tc.ctx, tc.fn, tc.payload); !errors.Is(err, tc.want) {
				t.Errorf("Invoke: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		name string
		fns  []Function
		want []string
	}{
		{"missing path and name", []Function{{}}, []string{"name: is empty", "path: is empty"}},
		{"not executable", []Function{{Name: "x", Path: "testdata/echofn/main.go"}}, []string{"not an executable"}},
		{"bad memory and arch", []Function{echo("x", func(f *Function) { f.MemoryMB, f.Architecture = 64, "s390x" })},
			[]string{"memory_mb: 64", "architecture"}},
		{"duplicate", []Function{echo("x"), echo("x")}, []string{"defined twice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{}, tc.fns...)
			if err == nil {
				t.Fatal("New accepted it")
			}
			for _, w := range tc.want {
				if !contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
