package translate

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/faasight/faasight/ingest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func readTraces(tb testing.TB, path string) ptrace.Traces {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(data)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return td
}

// TestGolden translates testdata/*.input.json and compares with the
// reviewed *.golden.json next to it.
func TestGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.input.json")
	if len(inputs) == 0 {
		t.Fatal("no test inputs")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".input.json")
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(Traces(readTraces(t, in), "default"), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
				t.Errorf("differs from %s (run with -update and review):\n%s", golden, got)
			}
		})
	}
}

// TestRules spells out the decisions the golden files encode, so a reader
// need not diff JSON to know what is expected.
func TestRules(t *testing.T) {
	aws := Traces(readTraces(t, "testdata/aws_lambda.input.json"), "default")
	if len(aws.Spans) != 3 || len(aws.Invocations) != 2 {
		t.Fatalf("aws: %d spans, %d invocations; want 3, 2 (the DynamoDB client span is no invocation)", len(aws.Spans), len(aws.Invocations))
	}
	cold := aws.Invocations[0]
	want := ingest.Invocation{
		Tenant: "default", StartNs: 1763856000000000000, DurationNs: 12345678, ColdStart: true,
		Function: "checkout-api", Version: "$LATEST", Instance: "2026/11/23/[$LATEST]abc",
		Provider: "aws", Platform: "aws_lambda", Region: "us-east-1", Account: "123456789012",
		Runtime: "go1.26", Architecture: "x86_64", MemoryMB: 512, Trigger: "http",
		TraceID: "0102030405060708090a0b0c0d0e0f10", SpanID: "1112131415161718", InvocationID: "af9c-11",
		InitDurationNs: 117810000, MaxMemoryUsedMB: 87,
	}
	if cold != want {
		t.Errorf("cold invocation:\n got %+v\nwant %+v", cold, want)
	}
	if warm := aws.Invocations[1]; !warm.Error || warm.ColdStart || warm.BilledDurationMs != 3 {
		t.Errorf("warm invocation: error=%v cold=%v billed=%d; want true false 3 (2.2 ms billed rounds up)", warm.Error, warm.ColdStart, warm.BilledDurationMs)
	}
	if c := aws.Spans[1]; c.Kind != "CLIENT" || c.ParentSpanID != "1112131415161718" || c.Function != "checkout-api" {
		t.Errorf("client span: %+v", c)
	}

	legacy := Traces(readTraces(t, "testdata/aws_legacy.input.json"), "default").Invocations
	if len(legacy) != 1 || legacy[0].MemoryMB != 1024 || legacy[0].InvocationID != "exec-legacy-1" ||
		!legacy[0].ColdStart || legacy[0].Architecture != "arm64" || legacy[0].Function != "legacy-fn" {
		t.Errorf("legacy: %+v", legacy)
	}

	mixed := Traces(readTraces(t, "testdata/gcp_azure.input.json"), "default")
	if len(mixed.Invocations) != 2 || len(mixed.Spans) != 3 {
		t.Fatalf("gcp/azure/plain: %d invocations, %d spans; want 2 (plain web server is none), 3", len(mixed.Invocations), len(mixed.Spans))
	}
	if g := mixed.Invocations[0]; g.Function != "orders-worker" || g.Version != "00012-abc" || g.MemoryMB != 256 || g.Platform != "gcp_cloud_functions" {
		t.Errorf("gcp: %+v", g)
	}
	if a := mixed.Invocations[1]; a.Trigger != "timer" || a.Architecture != "x86_64" || a.Provider != "azure" {
		t.Errorf("azure: %+v", a)
	}

	bad := Traces(readTraces(t, "testdata/malformed.input.json"), "default")
	if len(bad.Invocations) != 2 {
		t.Fatalf("malformed: %d invocations, want 2", len(bad.Invocations))
	}
	odd := bad.Invocations[0]
	if odd.Tenant != "acme" || odd.DurationNs != 0 || odd.ColdStart || odd.MemoryMB != 0 || odd.InitDurationNs != 0 ||
		odd.BilledDurationMs != 0 || odd.MaxMemoryUsedMB != 64 || odd.TraceID != "" || odd.Architecture != "riscv64" {
		t.Errorf("malformed: %+v", odd)
	}
	if anon := bad.Invocations[1]; anon.Function != "unknown_service" || !anon.ColdStart || anon.Trigger != "7" || anon.Tenant != "default" {
		t.Errorf("anonymous: %+v", anon)
	}
}

func TestNormalizeArch(t *testing.T) {
	for in, want := range map[string]string{
		"amd64": "x86_64", "x86_64": "x86_64", "X64": "x86_64", "x86-64": "x86_64",
		"arm64": "arm64", "aarch64": "arm64", "arm": "arm32", "": "", "ppc64le": "ppc64le",
	} {
		if got := NormalizeArch(in); got != want {
			t.Errorf("NormalizeArch(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzTraces(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/*.input.json")
	for _, in := range inputs {
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(readTraces(f, in))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(data)
		if err != nil {
			return
		}
		r := Traces(td, "")
		if len(r.Spans) != td.SpanCount() {
			t.Fatalf("%d spans from %d", len(r.Spans), td.SpanCount())
		}
		ids := map[string]bool{}
		for _, s := range r.Spans {
			ids[s.TraceID+"/"+s.SpanID] = true
			if s.Tenant == "" {
				t.Fatal("span without tenant")
			}
		}
		for _, inv := range r.Invocations {
			if !ids[inv.TraceID+"/"+inv.SpanID] {
				t.Fatalf("invocation %s/%s has no span", inv.TraceID, inv.SpanID)
			}
		}
	})
}

func BenchmarkTraces(b *testing.B) {
	base := readTraces(b, "testdata/aws_lambda.input.json")
	td := ptrace.NewTraces()
	for range 334 {
		base.ResourceSpans().At(0).CopyTo(td.ResourceSpans().AppendEmpty())
	}
	var r Result
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.Reset()
		AppendTraces(&r, td, "default")
	}
	b.ReportMetric(float64(td.SpanCount()), "spans/op")
}
