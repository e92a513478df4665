// Package sample produces synthetic function invocations with a known truth
// and sends them to faasight the way instrumented functions do: as OTLP
// spans from the OpenTelemetry Go SDK, following the FaaS semantic
// conventions. `make run` uses it to give the demo data; tests and the
// ingest benchmark use it as the sending side. (The load generator proper,
// with real processes and real cold starts, builds on it.)
package sample

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/faasight/faasight/loadgen/spanids"
)

// Function is a deployed function: what its resource attributes say.
type Function struct {
	Name         string
	Version      string
	Provider     string // cloud.provider
	Platform     string // cloud.platform
	Region       string
	Account      string
	Runtime      string // process.runtime.name
	RuntimeVer   string // process.runtime.version
	Architecture string // host.arch as the SDK reports it (amd64, arm64)
	MemoryMB     int
	Trigger      string
	// Outbound makes each invocation call a managed service (a CLIENT span).
	Outbound string // "", "dynamodb", "s3", "sqs"
}

// Invocation is one invocation as it really happened: the truth a test
// compares faasight's answers with.
type Invocation struct {
	Function     string
	Start        time.Time
	Duration     time.Duration
	ColdStart    bool
	InitDuration time.Duration // cold starts only
	Error        bool
	InvocationID string
}

// DefaultFunctions are the demo's functions: two on AWS Lambda (x86_64 and
// arm64) and one on Google Cloud, so every report has something to show.
func DefaultFunctions() []Function {
	return []Function{
		{Name: "checkout-api", Version: "17", Provider: "aws", Platform: "aws_lambda", Region: "us-east-1",
			Account: "123456789012", Runtime: "go", RuntimeVer: "1.26", Architecture: "amd64", MemoryMB: 512,
			Trigger: "http", Outbound: "dynamodb"},
		{Name: "image-resize", Version: "4", Provider: "aws", Platform: "aws_lambda", Region: "eu-west-1",
			Account: "123456789012", Runtime: "nodejs", RuntimeVer: "22", Architecture: "arm64", MemoryMB: 1024,
			Trigger: "datasource", Outbound: "s3"},
		{Name: "orders-worker", Version: "00012-abc", Provider: "gcp", Platform: "gcp_cloud_functions",
			Region: "europe-west1", Account: "demo-project", Runtime: "python", RuntimeVer: "3.12",
			Architecture: "amd64", MemoryMB: 256, Trigger: "pubsub", Outbound: "sqs"},
	}
}

// Generate returns n invocations spread over fns, starting at start and
// ending before start+span, deterministic for a seed. About 5 % are cold
// starts (with an INIT phase) and 2 % errors; durations are log-normal-ish
// with microsecond detail so that billing's rounding is exercised.
func Generate(seed uint64, fns []Function, n int, start time.Time, span time.Duration) []Invocation {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]Invocation, n)
	for i := range out {
		f := fns[i%len(fns)]
		cold := rng.IntN(100) < 5
		d := time.Duration(2e6+rng.ExpFloat64()*40e6) + time.Duration(rng.IntN(1000))*time.Microsecond
		inv := Invocation{
			Function:     f.Name,
			Start:        start.Add(time.Duration(rng.Int64N(int64(span)))),
			Duration:     d,
			ColdStart:    cold,
			Error:        rng.IntN(100) < 2,
			InvocationID: fmt.Sprintf("%016x-%d", seed, i),
		}
		if cold {
			inv.InitDuration = time.Duration(80e6 + rng.Float64()*300e6)
		}
		out[i] = inv
	}
	return out
}

// Options say where and how to send.
type Options struct {
	Endpoint string // host:port of faasight's OTLP receiver
	Protocol string // "grpc" (default) or "http"
	Tenant   string // faasight.tenant resource attribute ("" = none)
}

// Send exports invs as spans, one tracer provider (one resource) per
// function, and returns once everything was exported or failed. The SDK's
// span queue blocks instead of dropping, so a slow faasight slows Send down
// rather than losing spans.
func Send(ctx context.Context, opts Options, fns []Function, invs []Invocation) error {
	byName := make(map[string]Function, len(fns))
	providers := make(map[string]*sdktrace.TracerProvider, len(fns))
	for _, f := range fns {
		byName[f.Name] = f
		tp, err := newProvider(ctx, opts, f)
		if err != nil {
			return err
		}
		providers[f.Name] = tp
	}
	var errs []error
	for _, inv := range invs {
		f, ok := byName[inv.Function]
		if !ok {
			return fmt.Errorf("sample: invocation of unknown function %q", inv.Function)
		}
		emit(providers[f.Name].Tracer("github.com/faasight/faasight/loadgen/sample"), f, inv)
	}
	for name, tp := range providers {
		if err := tp.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("sample: flush %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func newProvider(ctx context.Context, opts Options, f Function) (*sdktrace.TracerProvider, error) {
	exp, err := newExporter(ctx, opts)
	if err != nil {
		return nil, err
	}
	attrs := []attribute.KeyValue{
		semconv.ServiceName(f.Name),
		semconv.FaaSName(f.Name),
		semconv.FaaSVersion(f.Version),
		semconv.FaaSInstance(f.Name + "-instance-1"),
		semconv.FaaSMaxMemory(f.MemoryMB * 1024 * 1024),
		attribute.String("cloud.provider", f.Provider),
		attribute.String("cloud.platform", f.Platform),
		semconv.CloudRegion(f.Region),
		semconv.CloudAccountID(f.Account),
		semconv.ProcessRuntimeName(f.Runtime),
		semconv.ProcessRuntimeVersion(f.RuntimeVer),
		attribute.String("host.arch", f.Architecture),
	}
	if opts.Tenant != "" {
		attrs = append(attrs, attribute.String("faasight.tenant", opts.Tenant))
	}
	res := resource.NewWithAttributes(semconv.SchemaURL, attrs...)
	return sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithIDGenerator(spanids.Generator{}),
		sdktrace.WithBatcher(exp,
			sdktrace.WithBlocking(),
			sdktrace.WithMaxQueueSize(20_000),
			sdktrace.WithMaxExportBatchSize(5_000),
			sdktrace.WithBatchTimeout(200*time.Millisecond)),
	), nil
}

func newExporter(ctx context.Context, opts Options) (*otlptrace.Exporter, error) {
	switch opts.Protocol {
	case "", "grpc":
		return otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(opts.Endpoint), otlptracegrpc.WithInsecure(),
			otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: true, InitialInterval: 200 * time.Millisecond,
				MaxInterval: 2 * time.Second, MaxElapsedTime: 5 * time.Minute}))
	case "http":
		return otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(opts.Endpoint), otlptracehttp.WithInsecure(),
			otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: true, InitialInterval: 200 * time.Millisecond,
				MaxInterval: 2 * time.Second, MaxElapsedTime: 5 * time.Minute}))
	default:
		return nil, fmt.Errorf("sample: protocol %q: use grpc or http", opts.Protocol)
	}
}

// emit records one invocation span (SERVER, with the FaaS span attributes)
// and, for functions that call a managed service, its CLIENT child span.
func emit(tr trace.Tracer, f Function, inv Invocation) {
	attrs := []attribute.KeyValue{
		attribute.String("faas.trigger", f.Trigger),
		semconv.FaaSInvocationID(inv.InvocationID),
		semconv.FaaSColdstart(inv.ColdStart),
	}
	if inv.ColdStart {
		attrs = append(attrs, attribute.Float64("faasight.init_duration_ms", float64(inv.InitDuration)/1e6))
	}
	ctx, span := tr.Start(spanids.WithInvocation(context.Background(), inv.InvocationID), f.Name,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(inv.Start),
		trace.WithAttributes(attrs...))
	if f.Outbound != "" {
		_, call := tr.Start(ctx, outboundName(f.Outbound),
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithTimestamp(inv.Start.Add(inv.Duration/4)),
			trace.WithAttributes(outboundAttrs(f)...))
		call.End(trace.WithTimestamp(inv.Start.Add(inv.Duration / 2)))
	}
	if inv.Error {
		span.SetStatus(codes.Error, "handler returned an error")
	}
	span.End(trace.WithTimestamp(inv.Start.Add(inv.Duration)))
}

func outboundName(service string) string {
	switch service {
	case "dynamodb":
		return "DynamoDB.PutItem"
	case "s3":
		return "S3.GetObject"
	default:
		return "SQS.SendMessage"
	}
}

func outboundAttrs(f Function) []attribute.KeyValue {
	switch f.Outbound {
	case "dynamodb":
		return []attribute.KeyValue{attribute.String("rpc.system", "aws-api"), attribute.String("rpc.service", "DynamoDB"),
			attribute.String("rpc.method", "PutItem"), attribute.String("db.system", "dynamodb"),
			attribute.String("server.address", "dynamodb."+f.Region+".amazonaws.com")}
	case "s3":
		return []attribute.KeyValue{attribute.String("rpc.system", "aws-api"), attribute.String("rpc.service", "S3"),
			attribute.String("rpc.method", "GetObject"), attribute.String("server.address", "s3."+f.Region+".amazonaws.com")}
	default:
		return []attribute.KeyValue{attribute.String("rpc.system", "aws-api"), attribute.String("rpc.service", "SQS"),
			attribute.String("rpc.method", "SendMessage"), attribute.String("messaging.system", "aws_sqs"),
			attribute.String("server.address", "sqs."+f.Region+".amazonaws.com")}
	}
}
