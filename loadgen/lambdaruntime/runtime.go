// Package lambdaruntime is the load generator's local function platform: it owns
// the execution environments of functions — one OS process each — and the
// local implementation of the AWS Lambda Runtime API they talk to, and it
// measures every invocation (start, duration, cold start and INIT
// duration, peak memory, outcome) into a ground-truth ledger.
//
// A binary written with aws-lambda-go's lambda.Start runs unchanged: each
// process gets AWS_LAMBDA_RUNTIME_API and the usual Lambda variables.
//
// Lifecycle, as Lambda's: Invoke takes the most recently used idle
// environment of the function, or creates one (a cold start: process start
// plus the function's init, up to its first /next). An environment serves
// one invocation at a time and is idle again once the function asks for
// the next event. Idle environments past the keep-alive are reaped
// (SIGTERM, then SIGKILL). Beyond a function's concurrency limit an
// invocation is throttled, never queued. An invocation past its timeout
// kills its environment.
//
// Each environment has its own loopback listener rather than one shared
// listener routing by path: the Runtime API has no place for an
// environment id (a client only knows host:port), a connection then
// identifies its environment without trusting anything the process sends,
// and stopping an environment closes exactly its connections.
//
// Memory: the configured size is recorded and exported
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE) and the peak RSS measured
// (/proc/PID/status VmHWM), but not enforced: RLIMIT_AS limits address
// space, not memory, and Go reserves far more address space than it uses,
// so a 128 MB limit breaks Go binaries at start; cgroup limits need
// privileges a load generator should not ask for. Readers compare
// MaxRSSBytes with MemoryMB.
package lambdaruntime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Errors Invoke returns when no invocation took place (or, for ErrClosed,
// when the runtime closed under one).
var (
	ErrUnknownFunction = errors.New("unknown function")
	ErrPayloadTooLarge = errors.New("payload too large")
	ErrClosed          = errors.New("runtime closed")
)

// function is a Function and its pool of environments.
type function struct {
	cfg Function
	arn string

	// Guarded by Runtime.mu.
	idle []*environment // stack: the most recently used is reused first, so the rest can expire
	live int            // environments holding a concurrency slot
}

// Runtime runs functions' execution environments. It is safe for
// concurrent use; Close stops everything it started.
type Runtime struct {
	log      *slog.Logger
	opts     Options
	output   io.Writer
	funcs    map[string]*function // read-only after New
	quit     chan struct{}        // closed by Close: stops the reaper
	errorLog *slogWriter

	// mu guards closed and envs, every function's idle and live, and
	// every environment's lastUsed and counted.
	mu     sync.Mutex
	closed bool
	envs   map[*environment]struct{} // environments whose process may still run

	// wg counts every goroutine the runtime starts: per environment its
	// API server, its watcher and its grace timer; and the reaper.
	wg sync.WaitGroup
}

// New validates the functions and starts the reaper; environments start
// on demand.
func New(opts Options, functions ...Function) (*Runtime, error) {
	opts.setDefaults()
	r := &Runtime{
		log:   opts.Logger,
		opts:  opts,
		funcs: make(map[string]*function, len(functions)),
		quit:  make(chan struct{}),
		envs:  make(map[*environment]struct{}),
	}
	var errs []error
	for _, fc := range functions {
		fc.setDefaults()
		if err := fc.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := r.funcs[fc.Name]; dup {
			errs = append(errs, fmt.Errorf("function %q: name: defined twice", fc.Name))
			continue
		}
		r.funcs[fc.Name] = &function{
			cfg: fc,
			arn: "arn:aws:lambda:" + fc.Region + ":" + fc.Account + ":function:" + fc.Name,
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	switch out := opts.FunctionOutput.(type) {
	case nil:
	case *os.File:
		r.output = out // handed to the process as is: no copying goroutine
	default:
		r.output = &lockedWriter{w: out}
	}
	r.errorLog = &slogWriter{log: r.log}
	r.wg.Add(1)
	go r.reap()
	return r, nil
}

// Invoke runs one invocation of the named function and reports it. Every
// outcome of the function — ok, error, timeout, throttled — is a Result
// with a nil error, and is recorded in the ledger. An error means no
// invocation took place (unknown function, payload too large, runtime
// closed, ctx done before the event was handed over), or the ledger failed
// (the Result is then still valid).
//
// ctx only bounds the wait for an environment: once the event is handed
// over the invocation runs to its end or its timeout, as on Lambda.
func (r *Runtime) Invoke(ctx context.Context, name string, payload []byte) (Result, error) {
	f, ok := r.funcs[name]
	if !ok {
		return Result{}, fmt.Errorf("runtime: invoke %q: %w", name, ErrUnknownFunction)
	}
	if len(payload) > MaxPayloadBytes {
		return Result{}, fmt.Errorf("runtime: invoke %s: %d bytes (limit %d): %w", name, len(payload), MaxPayloadBytes, ErrPayloadTooLarge)
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("runtime: invoke %s: %w", name, err)
	}
	res := Result{
		RequestID:    uuid.NewString(),
		Function:     name,
		Version:      f.cfg.Version,
		MemoryMB:     f.cfg.MemoryMB,
		Architecture: f.cfg.Architecture,
		Provider:     f.cfg.Provider,
		Region:       f.cfg.Region,
		Start:        time.Now(),
	}
	e, cold, err := r.acquire(f)
	if err != nil {
		return Result{}, fmt.Errorf("runtime: invoke %s: %w", name, err)
	}
	if e == nil {
		res.Status, res.ErrorType = StatusThrottled, "TooManyRequestsException"
		res.ErrorMessage = fmt.Sprintf("Rate Exceeded: %s is at its concurrency limit of %d.", name, f.cfg.Concurrency)
		return r.record(res)
	}
	res.Environment, res.ColdStart = e.id, cold
	if cold {
		ready, err := r.coldStart(ctx, e, &res)
		if err != nil {
			return Result{}, fmt.Errorf("runtime: invoke %s: %w", name, err)
		}
		if !ready {
			return r.finish(res)
		}
	}
	r.run(e, &res, payload)
	return r.finish(res)
}

// finish records res; an error caused by Close also returns ErrClosed.
func (r *Runtime) finish(res Result) (Result, error) {
	if res.Status != StatusError || !r.isClosed() {
		return r.record(res)
	}
	res.ErrorMessage = "runtime closed during the invocation: " + res.ErrorMessage
	out, err := r.record(res)
	return out, errors.Join(fmt.Errorf("runtime: invoke %s: %w", res.Function, ErrClosed), err)
}

func (r *Runtime) record(res Result) (Result, error) {
	if r.opts.Ledger == nil {
		return res, nil
	}
	if err := r.opts.Ledger.Record(res); err != nil {
		return res, fmt.Errorf("runtime: %w", err)
	}
	return res, nil
}

// acquire returns an idle environment of f, or a new one that holds a
// concurrency slot (cold), or nil when f is at its limit.
func (r *Runtime) acquire(f *function) (e *environment, cold bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, false, ErrClosed
	}
	now := time.Now()
	for n := len(f.idle); n > 0; n = len(f.idle) {
		e := f.idle[n-1]
		f.idle[n-1] = nil
		f.idle = f.idle[:n-1]
		if now.Sub(e.lastUsed) < f.cfg.KeepAlive {
			return e, false, nil
		}
		// Expired but not reaped yet: never reuse it.
		r.uncountLocked(e)
		e.stop(r.opts.StopGrace, &r.wg)
	}
	if f.live >= f.cfg.Concurrency {
		return nil, false, nil
	}
	e = newEnvironment(f)
	f.live++
	e.counted = true
	r.envs[e] = struct{}{}
	r.wg.Add(1) // the watcher's, or released by coldStart if the start fails
	return e, true, nil
}

// coldStart starts e's process and waits for its first /next. It reports
// false, with res filled in, when the environment did not come up.
func (r *Runtime) coldStart(ctx context.Context, e *environment, res *Result) (bool, error) {
	c := &e.fn.cfg
	ln, err := e.start(r.output, r.errorLog.logger())
	if err != nil {
		r.mu.Lock()
		r.removeLocked(e)
		r.mu.Unlock()
		r.wg.Done()
		res.Status, res.ErrorType = StatusError, "Runtime.InvalidEntrypoint"
		res.ErrorMessage = fmt.Sprintf("environment %s: %v", e.id, err)
		return false, nil
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		_ = e.srv.Serve(ln) // ErrServerClosed once the watcher closes it
	}()
	go r.watch(e)
	r.log.Debug("environment starting", "function", c.Name, "environment", e.id, "pid", e.cmd.Process.Pid)

	timer := time.NewTimer(r.opts.InitTimeout)
	defer timer.Stop()
	select {
	case at := <-e.ready:
		res.InitDuration = at.Sub(e.started)
		return true, nil
	case fe := <-e.initErr:
		res.Status, res.ErrorType, res.ErrorMessage = StatusError, fe.Type, truncate(fe.Message)
	case <-e.exited:
		res.Status, res.ErrorType = StatusError, "Runtime.ExitError"
		res.ErrorMessage = fmt.Sprintf("Runtime exited during init: %v", e.exitErr)
	case <-timer.C:
		res.Status, res.ErrorType = StatusTimeout, "Runtime.InitTimeout"
		res.ErrorMessage = fmt.Sprintf("Init did not finish within %v.", r.opts.InitTimeout)
	case <-ctx.Done():
		r.discard(e)
		return false, ctx.Err()
	}
	res.InitDuration = time.Since(e.started)
	res.MaxRSSBytes = e.maxRSS()
	r.discard(e)
	return false, nil
}

// run hands the event to e and waits for the answer, then for the
// function to ask for the next event (only then is e idle again, as on
// Lambda; a function that exits after answering — a panic — is not reused).
func (r *Runtime) run(e *environment, res *Result, payload []byte) {
	timeout := e.fn.cfg.Timeout
	start := time.Now()
	inv := &invocation{
		id:       res.RequestID,
		payload:  payload,
		deadline: start.Add(timeout),
		traceID:  r.traceHeader(res.RequestID, start),
		done:     make(chan outcome, 1),
	}
	res.Start = start
	select {
	case e.assign <- inv:
	default: // cannot happen: an idle environment has no event pending
		panic("runtime: environment " + e.id + " already has an event")
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case out := <-inv.done:
		res.Duration = out.end.Sub(start)
		if out.failed {
			res.Status, res.ErrorType, res.ErrorMessage = StatusError, out.errType, truncate(out.errMsg)
		} else {
			res.Status, res.Response = StatusOK, out.response
		}
	case <-e.exited:
		res.Duration = time.Since(start)
		res.Status, res.ErrorType = StatusError, "Runtime.ExitError"
		res.ErrorMessage = fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", res.RequestID, e.exitErr)
		res.MaxRSSBytes = e.exitRSS
		return
	case <-timer.C:
		res.Duration = time.Since(start)
		res.Status, res.ErrorType = StatusTimeout, "Sandbox.Timedout"
		res.ErrorMessage = fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", res.RequestID, timeout.Seconds())
		res.MaxRSSBytes = e.maxRSS()
		r.discard(e)
		return
	}
	res.MaxRSSBytes = e.maxRSS()
	select {
	case <-e.ready:
		r.park(e)
	case <-e.exited: // the watcher has removed it
		if res.MaxRSSBytes == 0 {
			res.MaxRSSBytes = e.exitRSS
		}
	case <-timer.C: // work after the answer overran the deadline
		r.discard(e)
	}
}

// park makes e idle, unless it was stopped meanwhile.
func (r *Runtime) park(e *environment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !e.counted {
		return
	}
	e.lastUsed = time.Now()
	e.fn.idle = append(e.fn.idle, e)
}

// discard kills e at once and frees its slot without waiting for the
// process to go.
func (r *Runtime) discard(e *environment) {
	r.mu.Lock()
	r.uncountLocked(e)
	r.mu.Unlock()
	e.stop(0, &r.wg)
}

func (r *Runtime) uncountLocked(e *environment) {
	if e.counted {
		e.fn.live--
		e.counted = false
	}
}

// removeLocked forgets e entirely.
func (r *Runtime) removeLocked(e *environment) {
	r.uncountLocked(e)
	delete(r.envs, e)
	idle := e.fn.idle
	for i, x := range idle {
		if x == e {
			copy(idle[i:], idle[i+1:])
			idle[len(idle)-1] = nil
			e.fn.idle = idle[:len(idle)-1]
			break
		}
	}
}

// watch waits for e's process, then closes its API server and forgets it.
func (r *Runtime) watch(e *environment) {
	defer r.wg.Done()
	err := e.cmd.Wait()
	e.exitErr = err
	e.exitRSS = rusageMaxRSS(e.cmd.ProcessState)
	if e.status != nil {
		_ = e.status.Close()
	}
	e.stopOnce.Do(func() { close(e.stopping) })
	r.mu.Lock()
	r.removeLocked(e)
	r.mu.Unlock()
	close(e.exited)
	_ = e.srv.Close()
	r.log.Debug("environment exited", "function", e.fn.cfg.Name, "environment", e.id, "status", err)
}

// reap stops idle environments past their keep-alive.
func (r *Runtime) reap() {
	defer r.wg.Done()
	t := time.NewTicker(r.opts.ReapInterval)
	defer t.Stop()
	for {
		select {
		case <-r.quit:
			return
		case now := <-t.C:
			r.reapIdle(now)
		}
	}
}

func (r *Runtime) reapIdle(now time.Time) {
	var expired []*environment
	r.mu.Lock()
	for _, f := range r.funcs {
		kept := f.idle[:0]
		for _, e := range f.idle {
			if now.Sub(e.lastUsed) >= f.cfg.KeepAlive {
				r.uncountLocked(e)
				expired = append(expired, e)
			} else {
				kept = append(kept, e)
			}
		}
		clear(f.idle[len(kept):])
		f.idle = kept
	}
	r.mu.Unlock()
	for _, e := range expired {
		r.log.Debug("environment reaped", "function", e.fn.cfg.Name, "environment", e.id)
		e.stop(r.opts.StopGrace, &r.wg)
	}
}

// Environments reports how many environments of the function hold a
// concurrency slot (busy, starting or idle) and how many of them are idle.
func (r *Runtime) Environments(function string) (live, idle int) {
	f, ok := r.funcs[function]
	if !ok {
		return 0, 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return f.live, len(f.idle)
}

func (r *Runtime) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// Close stops every environment (SIGTERM, SIGKILL after the grace) and
// waits until all processes and goroutines are gone. Invocations in
// flight end with ErrClosed. Close does not close the ledger.
func (r *Runtime) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.wg.Wait()
		return nil
	}
	r.closed = true
	envs := make([]*environment, 0, len(r.envs))
	for e := range r.envs {
		envs = append(envs, e)
	}
	r.mu.Unlock()
	close(r.quit)
	for _, e := range envs {
		e.stop(r.opts.StopGrace, &r.wg)
	}
	r.wg.Wait()
	return nil
}

// traceHeader is the X-Ray trace header for an invocation: the platform's
// (Options.TraceHeader) or a fresh unsampled one.
func (r *Runtime) traceHeader(requestID string, t time.Time) string {
	if r.opts.TraceHeader != nil {
		return r.opts.TraceHeader(requestID)
	}
	return traceID(t)
}

// traceID is an X-Ray trace header (unsampled), what Lambda passes in
// Lambda-Runtime-Trace-Id.
func traceID(t time.Time) string {
	return fmt.Sprintf("Root=1-%08x-%08x%016x;Sampled=0", t.Unix(), rand.Uint32(), rand.Uint64())
}

func truncate(s string) string {
	if len(s) <= maxErrorMessage {
		return s
	}
	return s[:maxErrorMessage] + "…"
}
