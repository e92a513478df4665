package fnkit

import (
	"context"
	"errors"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestXRayRoundTrip(t *testing.T) {
	h := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	sc, ok := ParentFromXRay(h)
	if !ok {
		t.Fatal("not parsed")
	}
	if sc.TraceID().String() != "5759e988bd862e3fe1be46a994272793" || sc.SpanID().String() != "53995c3f42cd8ad8" || !sc.IsSampled() || !sc.IsRemote() {
		t.Errorf("parsed %v", sc)
	}
	if got := XRayHeader(sc); got != h {
		t.Errorf("XRayHeader = %q, want %q", got, h)
	}
	for _, bad := range []string{"", "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
		"Root=1-5759e988-bd862e3f;Parent=53995c3f42cd8ad8", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=zz"} {
		if _, ok := ParentFromXRay(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestWrapMakesChildSpansAndRecordsErrors(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	tel := &Telemetry{provider: tp, Tracer: tp.Tracer("test")}
	fail := errors.New("bad input")
	h := Wrap(tel, "handler", func(_ context.Context, in int) (int, error) {
		if in < 0 {
			return 0, fail
		}
		return in * 2, nil
	})
	ctx := context.WithValue(context.Background(), "x-amzn-trace-id", //nolint:staticcheck // the key aws-lambda-go uses
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	if out, err := h(ctx, 21); out != 42 || err != nil {
		t.Fatalf("h(21) = %d, %v", out, err)
	}
	if _, err := h(ctx, -1); !errors.Is(err, fail) {
		t.Fatalf("h(-1) error %v", err)
	}
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	for _, s := range spans {
		if s.Parent().SpanID().String() != "53995c3f42cd8ad8" || s.SpanKind() != trace.SpanKindInternal {
			t.Errorf("span %s: parent %v kind %v", s.Name(), s.Parent().SpanID(), s.SpanKind())
		}
	}
	if spans[1].Status().Description != "bad input" {
		t.Errorf("error status %+v", spans[1].Status())
	}
}

func TestResourceFromLambdaEnvironment(t *testing.T) {
	t.Setenv("AWS_LAMBDA_FUNCTION_NAME", "thumbnailer")
	t.Setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("FAASIGHT_CLOUD_PROVIDER", "gcp")
	got := map[string]string{}
	for _, kv := range Resource() {
		got[string(kv.Key)] = kv.Value.Emit()
	}
	for k, want := range map[string]string{"faas.name": "thumbnailer", "faas.max_memory": "536870912",
		"cloud.region": "eu-west-1", "cloud.provider": "gcp", "cloud.platform": "aws_lambda"} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
}
