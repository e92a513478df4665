package platform

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/faasight/faasight/loadgen/functions/fnkit"
	"github.com/faasight/faasight/loadgen/spanids"
)

// TestEmitSendsExactInvocationSpans: what reaches an OTLP/HTTP receiver
// carries the platform's timings to the nanosecond, the FaaS attributes,
// and the ids the function was told in its trace header.
func TestEmitSendsExactInvocationSpans(t *testing.T) {
	var mu sync.Mutex
	var got []ptrace.Span
	var resources []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			t.Errorf("decode: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		rss := req.Traces().ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			resources = append(resources, rss.At(i).Resource().Attributes().AsRaw())
			ss := rss.At(i).ScopeSpans()
			for j := 0; j < ss.Len(); j++ {
				for k := 0; k < ss.At(j).Spans().Len(); k++ {
					got = append(got, ss.At(j).Spans().At(k))
				}
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		resp, _ := ptraceotlp.NewExportResponse().MarshalProto()
		w.Write(resp) //nolint:errcheck
	}))
	defer srv.Close()

	fn := Function{Name: "thumbs", Version: "1", Provider: "aws", Platform: "aws_lambda", Region: "eu-west-1",
		Architecture: "arm64", MemoryMB: 512, Trigger: "datasource"}
	e, err := NewEmitter(context.Background(), strings.TrimPrefix(srv.URL, "http://"), []Function{fn})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)
	inv := Invocation{RequestID: "req-1", Function: "thumbs", Start: start, Duration: 12345678 * time.Nanosecond,
		ColdStart: true, InitDuration: 117810123 * time.Nanosecond, Failed: true, ErrorMessage: "boom", MaxMemoryUsedMB: 87}
	if err := e.Emit(inv); err != nil {
		t.Fatal(err)
	}
	if err := e.Emit(Invocation{Function: "nope"}); err == nil {
		t.Error("unknown function accepted")
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	if len(got) != 1 {
		t.Fatalf("%d spans received, want 1", len(got))
	}
	s := got[0]
	if s.StartTimestamp().AsTime() != start || s.EndTimestamp().AsTime() != start.Add(inv.Duration) {
		t.Errorf("timestamps %v..%v, want %v..%v", s.StartTimestamp().AsTime(), s.EndTimestamp().AsTime(), start, start.Add(inv.Duration))
	}
	tid, sid := spanids.For("req-1")
	if s.TraceID().String() != tid.String() || s.SpanID().String() != sid.String() {
		t.Errorf("ids %s/%s, want %s/%s", s.TraceID(), s.SpanID(), tid, sid)
	}
	if parent, ok := fnkit.ParentFromXRay(TraceHeader("req-1")); !ok || parent.SpanID() != sid || parent.TraceID() != tid {
		t.Errorf("trace header %q does not name the invocation span", TraceHeader("req-1"))
	}
	attrs := s.Attributes().AsRaw()
	if attrs["faas.coldstart"] != true || attrs["faas.trigger"] != "datasource" || attrs["faas.invocation_id"] != "req-1" ||
		attrs["faasight.init_duration_ms"] != 117.810123 || attrs["faasight.max_memory_used_mb"] != int64(87) || s.Status().Code() != ptrace.StatusCodeError || s.Kind() != ptrace.SpanKindServer {
		t.Errorf("span attributes %v, status %v, kind %v", attrs, s.Status().Code(), s.Kind())
	}
	if r := resources[0]; r["faas.name"] != "thumbs" || r["faas.max_memory"] != int64(512<<20) || r["host.arch"] != "arm64" || r["cloud.region"] != "eu-west-1" {
		t.Errorf("resource %v", r)
	}
}
