// Package platform emits what a FaaS platform reports about invocations:
// the invocation span (FaaS semantic conventions) with the platform's own
// timings — on AWS the Lambda Telemetry API's report, turned into a span by
// the OpenTelemetry Lambda extension; here the local runtime's measurements,
// the same ones its ground-truth ledger records. It is sent over OTLP with
// the OpenTelemetry Go SDK like any other telemetry.
package platform

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/faasight/faasight/loadgen/functions/fnkit"
	"github.com/faasight/faasight/loadgen/spanids"
)

// Function is what the platform knows of a deployed function.
type Function struct {
	Name         string
	Version      string
	Provider     string
	Platform     string
	Region       string
	Architecture string // x86_64 or arm64
	MemoryMB     int
	Trigger      string
}

// Invocation is one finished invocation as the platform measured it.
type Invocation struct {
	RequestID    string
	Function     string
	Start        time.Time
	Duration     time.Duration
	ColdStart    bool
	InitDuration time.Duration
	Failed       bool
	ErrorMessage string
	// MaxMemoryUsedMB is the environment's peak memory (Lambda's "Max
	// Memory Used"), 0 when not measured.
	MaxMemoryUsedMB int
}

// TraceHeader is the X-Ray trace header the platform hands the function
// for an invocation (Lambda-Runtime-Trace-Id), naming the invocation span
// that Emit will record, so that the function's spans become its children.
func TraceHeader(requestID string) string {
	tid, sid := spanids.For(requestID)
	return fnkit.XRayHeader(trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
}

// Emitter records invocation spans, one tracer provider (one resource) per
// function.
type Emitter struct {
	providers map[string]*sdktrace.TracerProvider
	functions map[string]Function
}

// NewEmitter exports to an OTLP/HTTP endpoint (host:port, insecure).
func NewEmitter(ctx context.Context, endpoint string, fns []Function) (*Emitter, error) {
	e := &Emitter{providers: map[string]*sdktrace.TracerProvider{}, functions: map[string]Function{}}
	for _, f := range fns {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
		if err != nil {
			return nil, fmt.Errorf("platform: exporter: %w", err)
		}
		e.providers[f.Name] = sdktrace.NewTracerProvider(
			sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, Resource(f)...)),
			sdktrace.WithIDGenerator(spanids.Generator{}),
			// Blocking: a slow faasight slows the run down, it does not
			// lose invocation spans (the validation would see them missing).
			sdktrace.WithBatcher(exp, sdktrace.WithBlocking(), sdktrace.WithMaxQueueSize(20_000)),
		)
		e.functions[f.Name] = f
	}
	return e, nil
}

// Resource is a function's resource as the platform describes it: the
// same attributes the function's own telemetry carries.
func Resource(f Function) []attribute.KeyValue {
	return fnkit.Deployment{Name: f.Name, Version: f.Version, Provider: f.Provider, Platform: f.Platform,
		Region: f.Region, Architecture: f.Architecture, MemoryMB: f.MemoryMB}.Attributes()
}

// Emit records inv's span: SERVER, start and end exactly as measured,
// faas.coldstart, and the INIT phase as faasight.init_duration_ms.
func (e *Emitter) Emit(inv Invocation) error {
	tp, ok := e.providers[inv.Function]
	if !ok {
		return fmt.Errorf("platform: unknown function %q", inv.Function)
	}
	f := e.functions[inv.Function]
	attrs := []attribute.KeyValue{
		attribute.String("faas.trigger", f.Trigger),
		semconv.FaaSInvocationID(inv.RequestID),
		semconv.FaaSColdstart(inv.ColdStart),
	}
	if inv.MaxMemoryUsedMB > 0 {
		attrs = append(attrs, attribute.Int("faasight.max_memory_used_mb", inv.MaxMemoryUsedMB))
	}
	if inv.ColdStart && inv.InitDuration > 0 {
		attrs = append(attrs, attribute.Float64("faasight.init_duration_ms", float64(inv.InitDuration)/1e6))
	}
	_, span := tp.Tracer("github.com/faasight/faasight/loadgen/platform").Start(
		spanids.WithInvocation(context.Background(), inv.RequestID), inv.Function,
		trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(inv.Start), trace.WithAttributes(attrs...))
	if inv.Failed {
		span.SetStatus(codes.Error, inv.ErrorMessage)
	}
	span.End(trace.WithTimestamp(inv.Start.Add(inv.Duration)))
	return nil
}

// Close flushes every span and stops the exporters.
func (e *Emitter) Close(ctx context.Context) error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for name, tp := range e.providers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := tp.Shutdown(ctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("platform: flush %s: %w", name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
