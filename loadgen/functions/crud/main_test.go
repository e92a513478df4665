package main

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestCRUDAndOutboundSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("test")
	path := filepath.Join(t.TempDir(), "store.json")
	s, err := openStore(path, tracer, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range []Event{{Op: "put", Key: "b", Value: "2"}, {Op: "put", Key: "a", Value: "1"}} {
		if _, err := s.handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.handle(ctx, Event{Op: "get", Key: "a"}); got.Value != "1" || !got.Found {
		t.Errorf("get a = %+v", got)
	}
	if got, _ := s.handle(ctx, Event{Op: "list"}); !slices.Equal(got.Keys, []string{"a", "b"}) {
		t.Errorf("list = %+v", got)
	}
	if _, err := s.handle(ctx, Event{Op: "drop"}); err == nil {
		t.Error("unknown op accepted")
	}
	// A new environment loads what the last one stored.
	again, err := openStore(path, tracer, "us-east-1")
	if err != nil || again.items["b"] != "2" {
		t.Fatalf("reopened store: %v, %v", again.items, err)
	}

	var services []string
	for _, sp := range rec.Ended() {
		attrs := map[string]string{}
		for _, kv := range sp.Attributes() {
			attrs[string(kv.Key)] = kv.Value.Emit()
		}
		if sp.SpanKind() != trace.SpanKindClient || attrs["rpc.system"] != "aws-api" || attrs["server.address"] == "" {
			t.Errorf("span %s: kind %v attrs %v", sp.Name(), sp.SpanKind(), attrs)
		}
		services = append(services, attrs["rpc.service"]+"."+attrs["rpc.method"])
	}
	want := []string{"DynamoDB.PutItem", "SQS.SendMessage", "DynamoDB.PutItem", "SQS.SendMessage", "DynamoDB.GetItem", "S3.ListObjectsV2"}
	if !slices.Equal(services, want) {
		t.Errorf("outbound calls %v, want %v", services, want)
	}
}
