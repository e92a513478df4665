// Package run executes a load-generator scenario: it deploys the scenario's
// reference functions on the local Lambda runtime, invokes them on the
// scenario's schedule, records the ground truth in a ledger, and emits each
// invocation's platform span to faasight over OTLP.
package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faasight/faasight/loadgen/lambdaruntime"
	"github.com/faasight/faasight/loadgen/platform"
	"github.com/faasight/faasight/loadgen/scenario"
)

// Options of a run.
type Options struct {
	Scenario     *scenario.Scenario
	ScenarioDir  string // where trace files are resolved
	FunctionsDir string // the built reference functions (make functions)
	OTLPEndpoint string // faasight's OTLP/HTTP receiver, host:port
	LedgerPath   string
	// MaxInFlight bounds concurrent invocations; arrivals beyond it wait,
	// and the run reports how far it fell behind its schedule.
	MaxInFlight int
	Progress    io.Writer // a live progress line; nil for none
	Logger      *slog.Logger
}

// Summary is what a run did.
type Summary struct {
	Scenario    string        `json:"scenario"`
	Ledger      string        `json:"ledger"`
	From        time.Time     `json:"from"` // first invocation start
	To          time.Time     `json:"to"`   // just after the last invocation start
	Invocations int64         `json:"invocations"`
	ColdStarts  int64         `json:"cold_starts"`
	Errors      int64         `json:"errors"`
	Throttled   int64         `json:"throttled"`
	MaxLag      time.Duration `json:"max_lag_ns"` // how late the worst arrival was sent
}

// counters are updated by every invocation goroutine.
type counters struct {
	invocations, cold, errors, throttled atomic.Int64
}

// Run runs the scenario to its end (or until ctx is done).
func Run(ctx context.Context, o Options) (Summary, error) {
	s := o.Scenario
	sum := Summary{Scenario: s.Name, Ledger: o.LedgerPath}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 256
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	schedule, err := s.Schedule(o.ScenarioDir)
	if err != nil {
		return sum, err
	}
	payloads := map[string][]byte{}
	for _, f := range s.Functions {
		p, err := json.Marshal(f.Payload)
		if err != nil {
			return sum, fmt.Errorf("run: payload of %s: %w", f.Name, err)
		}
		payloads[f.Name] = p
	}
	store, err := os.MkdirTemp("", "faasight-loadgen-store-")
	if err != nil {
		return sum, err
	}
	defer os.RemoveAll(store)
	fns, pfns, err := deployments(s, o, store)
	if err != nil {
		return sum, err
	}
	ledger, err := lambdaruntime.CreateLedger(o.LedgerPath)
	if err != nil {
		return sum, err
	}
	emitter, err := platform.NewEmitter(ctx, o.OTLPEndpoint, pfns)
	if err != nil {
		ledger.Close()
		return sum, err
	}
	rt, err := lambdaruntime.New(lambdaruntime.Options{Logger: o.Logger, Ledger: ledger, TraceHeader: platform.TraceHeader}, fns...)
	if err != nil {
		return sum, errors.Join(err, emitter.Close(ctx), ledger.Close())
	}

	var c counters
	var mu sync.Mutex // guards sum.From, sum.To, emitErr
	var emitErr error
	sem := make(chan struct{}, o.MaxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	stopProgress := progress(o.Progress, start, &c, rt, s, len(schedule))
	for _, inv := range schedule {
		due := start.Add(inv.At)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		if lag := time.Since(due); lag > sum.MaxLag {
			sum.MaxLag = lag
		}
		wg.Add(1)
		go func(name string) {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := rt.Invoke(context.WithoutCancel(ctx), name, payloads[name])
			if err != nil && res.RequestID == "" {
				o.Logger.Warn("invocation not run", "function", name, "err", err)
				return
			}
			c.account(res)
			if res.Status == lambdaruntime.StatusThrottled {
				return // nothing ran: no span, as on Lambda
			}
			mu.Lock()
			if sum.From.IsZero() || res.Start.Before(sum.From) {
				sum.From = res.Start
			}
			if end := res.Start.Add(time.Nanosecond); end.After(sum.To) {
				sum.To = end
			}
			mu.Unlock()
			if err := emitter.Emit(platform.Invocation{RequestID: res.RequestID, Function: res.Function,
				Start: res.Start, Duration: res.Duration, ColdStart: res.ColdStart, InitDuration: res.InitDuration,
				Failed: res.Status.Failed(), ErrorMessage: res.ErrorMessage,
				MaxMemoryUsedMB: int((res.MaxRSSBytes + 1<<20 - 1) >> 20)}); err != nil {
				mu.Lock()
				emitErr = errors.Join(emitErr, err)
				mu.Unlock()
			}
		}(inv.Function)
	}
	wg.Wait()
	stopProgress()
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	err = errors.Join(ctx.Err(), emitErr, rt.Close(), emitter.Close(closeCtx), ledger.Close())
	sum.Invocations, sum.ColdStarts, sum.Errors, sum.Throttled = c.invocations.Load(), c.cold.Load(), c.errors.Load(), c.throttled.Load()
	return sum, err
}

func (c *counters) account(res lambdaruntime.Result) {
	if res.Status == lambdaruntime.StatusThrottled {
		c.throttled.Add(1)
		return
	}
	c.invocations.Add(1)
	if res.ColdStart {
		c.cold.Add(1)
	}
	if res.Status.Failed() {
		c.errors.Add(1)
	}
}

// deployments turns the scenario's functions into runtime and platform
// configurations; store is where functions keep local state (crud).
func deployments(s *scenario.Scenario, o Options, store string) ([]lambdaruntime.Function, []platform.Function, error) {
	var fns []lambdaruntime.Function
	var pfns []platform.Function
	for _, f := range s.Functions {
		path := filepath.Join(o.FunctionsDir, f.Code)
		if _, err := os.Stat(path); err != nil {
			return nil, nil, fmt.Errorf("run: reference function %s not built at %s (run `make functions`, or pass --functions-dir)", f.Code, path)
		}
		fns = append(fns, lambdaruntime.Function{
			Name: f.Name, Version: "1", Path: path,
			MemoryMB: f.MemoryMB, Architecture: f.Architecture, Provider: f.Provider, Region: f.Region,
			Timeout: f.Timeout.Duration, KeepAlive: f.KeepAlive.Duration, Concurrency: f.Concurrency,
			Env: []string{
				"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + o.OTLPEndpoint,
				"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
				"FAASIGHT_CLOUD_PROVIDER=" + f.Provider,
				"FAASIGHT_CLOUD_PLATFORM=" + f.Platform,
				"FAASIGHT_CLOUD_REGION=" + f.Region,
				"FAASIGHT_HOST_ARCH=" + f.Architecture,
				"FAASIGHT_STORE_DIR=" + store,
			},
		})
		pfns = append(pfns, platform.Function{Name: f.Name, Version: "1", Provider: f.Provider, Platform: f.Platform,
			Region: f.Region, Architecture: f.Architecture, MemoryMB: f.MemoryMB, Trigger: trigger(f.Code)})
	}
	return fns, pfns, nil
}

// trigger is how each reference function is typically invoked.
func trigger(code string) string {
	switch code {
	case "dynamic-html", "crud":
		return "http"
	case "thumbnailer", "compression":
		return "datasource"
	}
	return "other"
}

// progress prints a live line every second until stopped — rewritten in
// place on a terminal, a new line every ten seconds in a log.
func progress(w io.Writer, start time.Time, c *counters, rt *lambdaruntime.Runtime, s *scenario.Scenario, total int) func() {
	if w == nil {
		return func() {}
	}
	every, prefix, suffix := time.Second, "\r", "   "
	if !isTerminal(w) {
		every, prefix, suffix = 10*time.Second, "", "\n"
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				if prefix != "" {
					fmt.Fprintln(w)
				}
				return
			case <-tick.C:
				live := 0
				for _, f := range s.Functions {
					l, _ := rt.Environments(f.Name)
					live += l
				}
				el := time.Since(start)
				n := c.invocations.Load() + c.throttled.Load()
				fmt.Fprintf(w, "%s%4.0fs/%v  %d/%d invocations  %.0f/s  cold %d  errors %d  throttled %d  environments %d%s",
					prefix, el.Seconds(), s.Duration.Duration, n, total, float64(n)/el.Seconds(),
					c.cold.Load(), c.errors.Load(), c.throttled.Load(), live, suffix)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
