// Package fnkit is what faasight's reference functions share: the
// OpenTelemetry set-up of an instrumented AWS Lambda function and the
// handler wrapper that makes each invocation's spans children of the
// platform's invocation span and flushes them before the environment is
// frozen.
//
// The functions are ordinary aws-lambda-go programs: the same binary runs
// on AWS Lambda or on faasight's local runtime. The invocation span itself
// (faas.trigger, faas.coldstart, ...) is the platform's: on AWS the Lambda
// Telemetry API reports it, locally the runtime emits it with the same
// timings it writes to its ground-truth ledger. A function adds its handler
// span and its outbound calls under it.
package fnkit

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Telemetry is a function's tracing: a real OTLP exporter when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, nothing otherwise.
type Telemetry struct {
	provider *sdktrace.TracerProvider // nil when not exporting
	Tracer   trace.Tracer
}

// Setup builds the tracer provider from the Lambda environment. Provider,
// platform and region can be overridden (FAASIGHT_CLOUD_PROVIDER,
// FAASIGHT_CLOUD_PLATFORM, FAASIGHT_CLOUD_REGION) so that one local run can
// mimic functions on several clouds.
func Setup(ctx context.Context) (*Telemetry, error) {
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return &Telemetry{Tracer: noop.NewTracerProvider().Tracer("")}, nil
	}
	// otlptracehttp reads OTEL_EXPORTER_OTLP_* itself, as any function's
	// exporter does.
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("fnkit: OTLP exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, Resource()...)),
		// A frozen environment cannot export in the background: spans
		// are collected and flushed at the end of each invocation.
		sdktrace.WithBatcher(exp, sdktrace.WithBlocking()),
	)
	return &Telemetry{provider: tp, Tracer: tp.Tracer("github.com/faasight/faasight/loadgen/functions")}, nil
}

// Deployment is what a function's resource says about it.
type Deployment struct {
	Name, Version, Instance    string
	Provider, Platform, Region string
	Architecture               string
	MemoryMB                   int
}

// Attributes is the deployment as resource attributes, following the FaaS
// semantic conventions. The platform's invocation spans and the function's
// own spans use the same, so that both describe the same function.
func (d Deployment) Attributes() []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		semconv.ServiceName(d.Name),
		semconv.FaaSName(d.Name),
		semconv.FaaSVersion(d.Version),
		attribute.String("cloud.provider", d.Provider),
		attribute.String("cloud.platform", d.Platform),
		semconv.CloudRegion(d.Region),
		attribute.String("host.arch", d.Architecture),
	}
	if d.Instance != "" {
		attrs = append(attrs, semconv.FaaSInstance(d.Instance))
	}
	if d.MemoryMB > 0 {
		attrs = append(attrs, semconv.FaaSMaxMemory(d.MemoryMB<<20)) // the convention says bytes
	}
	return attrs
}

// Resource is the function's resource, from the environment variables
// Lambda sets, plus the Go runtime's name and version.
func Resource() []attribute.KeyValue {
	mb, _ := strconv.Atoi(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	d := Deployment{
		Name:         os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		Version:      os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"),
		Instance:     os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME"),
		Provider:     envOr("FAASIGHT_CLOUD_PROVIDER", "aws"),
		Platform:     envOr("FAASIGHT_CLOUD_PLATFORM", "aws_lambda"),
		Region:       envOr("FAASIGHT_CLOUD_REGION", os.Getenv("AWS_REGION")),
		Architecture: envOr("FAASIGHT_HOST_ARCH", runtime.GOARCH),
		MemoryMB:     mb,
	}
	return append(d.Attributes(),
		semconv.ProcessRuntimeName("go"),
		semconv.ProcessRuntimeVersion(strings.TrimPrefix(runtime.Version(), "go")))
}

// Start is a reference function's main after its INIT work: telemetry set
// up, then aws-lambda-go's loop with the instrumented handler.
func Start[In, Out any](name string, h func(context.Context, In) (Out, error)) {
	tel, err := Setup(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(Wrap(tel, name, h))
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// Wrap instruments a handler: a span per invocation, child of the
// platform's invocation span named in the X-Ray trace header, with the
// error recorded, and a flush before the handler returns — after that the
// environment may be frozen or reaped.
func Wrap[In, Out any](t *Telemetry, name string, h func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		if header, ok := ctx.Value("x-amzn-trace-id").(string); ok {
			if parent, ok := ParentFromXRay(header); ok {
				ctx = trace.ContextWithRemoteSpanContext(ctx, parent)
			}
		}
		ctx, span := t.Tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal))
		out, err := h(ctx, in)
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
		t.Flush(ctx)
		return out, err
	}
}

// Flush exports what the function recorded so far.
func (t *Telemetry) Flush(ctx context.Context) {
	if t.provider != nil {
		t.provider.ForceFlush(ctx) //nolint:errcheck // telemetry must not fail the invocation
	}
}

// ParentFromXRay reads the span context of the Lambda trace header
// (Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1).
// Written here because the OpenTelemetry contrib X-Ray propagator is
// deprecated; the format is a handful of fixed-width hex fields.
func ParentFromXRay(header string) (trace.SpanContext, bool) {
	var root, parent string
	sampled := false
	for _, part := range strings.Split(header, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			root = v
		case "Parent":
			parent = v
		case "Sampled":
			sampled = v == "1"
		}
	}
	// Root: version "1", 8 hex digits of epoch seconds, 24 hex digits.
	fields := strings.Split(root, "-")
	if len(fields) != 3 || fields[0] != "1" || len(fields[1]) != 8 || len(fields[2]) != 24 {
		return trace.SpanContext{}, false
	}
	tid, err := trace.TraceIDFromHex(fields[1] + fields[2])
	if err != nil {
		return trace.SpanContext{}, false
	}
	sid, err := trace.SpanIDFromHex(parent)
	if err != nil {
		return trace.SpanContext{}, false
	}
	cfg := trace.SpanContextConfig{TraceID: tid, SpanID: sid, Remote: true}
	if sampled {
		cfg.TraceFlags = trace.FlagsSampled
	}
	return trace.NewSpanContext(cfg), true
}

// XRayHeader is the trace header for a span context: what a platform
// passes to the function for an invocation span it started.
func XRayHeader(sc trace.SpanContext) string {
	tid := sc.TraceID().String()
	sampled := "0"
	if sc.IsSampled() {
		sampled = "1"
	}
	return "Root=1-" + tid[:8] + "-" + tid[8:] + ";Parent=" + sc.SpanID().String() + ";Sampled=" + sampled
}
