package translate

import (
	"fmt"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// lambdaBatch is what the exporter sees from a busy account: n invocation
// spans of AWS Lambda functions as the OpenTelemetry Lambda layers send
// them, spread over 10 functions (resources).
func lambdaBatch(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	const functions = 10
	for f := range functions {
		rs := td.ResourceSpans().AppendEmpty()
		a := rs.Resource().Attributes()
		a.PutStr("service.name", fmt.Sprintf("fn-%d", f))
		a.PutStr("faas.name", fmt.Sprintf("fn-%d", f))
		a.PutStr("faas.version", "$LATEST")
		a.PutStr("faas.instance", "2026/11/23/[$LATEST]5d1edb9e525d486696cf01a3503487bc")
		a.PutInt("faas.max_memory", 512<<20)
		a.PutStr("cloud.provider", "aws")
		a.PutStr("cloud.platform", "aws_lambda")
		a.PutStr("cloud.region", "us-east-1")
		a.PutStr("cloud.account.id", "123456789012")
		a.PutStr("process.runtime.name", "go")
		a.PutStr("process.runtime.version", "go1.26.8")
		a.PutStr("host.arch", "amd64")
		a.PutStr("telemetry.sdk.name", "opentelemetry")
		a.PutStr("telemetry.sdk.language", "go")
		a.PutStr("telemetry.sdk.version", "1.47.0")
		spans := rs.ScopeSpans().AppendEmpty().Spans()
		for i := range n / functions {
			s := spans.AppendEmpty()
			k := uint64(f*n + i)
			var tid [16]byte
			var sid [8]byte
			for b := range 8 {
				tid[b], tid[8+b], sid[b] = byte(k>>(8*b)), byte(^k>>(8*b)), byte(k>>(8*b))^0x5a
			}
			s.SetTraceID(pcommon.TraceID(tid))
			s.SetSpanID(pcommon.SpanID(sid))
			s.SetParentSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8}) // API Gateway's span
			s.SetName(fmt.Sprintf("fn-%d", f))
			s.SetKind(ptrace.SpanKindServer)
			start := pcommon.Timestamp(1763856000000000000 + k*1e6)
			s.SetStartTimestamp(start)
			s.SetEndTimestamp(start + 12345678)
			sa := s.Attributes()
			sa.PutStr("faas.trigger", "http")
			sa.PutStr("faas.invocation_id", fmt.Sprintf("5b7c2c1e-0d4f-4a8e-9c3b-%012x", k))
			sa.PutBool("faas.coldstart", k%50 == 0)
			sa.PutStr("http.request.method", "POST")
			sa.PutInt("http.response.status_code", 200)
			sa.PutStr("url.path", "/checkout")
		}
	}
	return td
}

// BenchmarkTraces translates a batch of 1000 Lambda invocation spans, as a
// fresh Result (what the exporter does) and appended to a reused one.
func BenchmarkTraces(b *testing.B) {
	td := lambdaBatch(1000)
	b.Run("Traces", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := Traces(td, "default"); len(r.Invocations) != 1000 {
				b.Fatalf("%d invocations", len(r.Invocations))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*td.SpanCount()), "ns/span")
	})
	b.Run("AppendTraces", func(b *testing.B) {
		var r Result
		b.ReportAllocs()
		for b.Loop() {
			r.Reset()
			AppendTraces(&r, td, "default")
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*td.SpanCount()), "ns/span")
	})
}
