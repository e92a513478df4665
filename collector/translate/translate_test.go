package translate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/faasight/faasight/ingest"
	"github.com/faasight/faasight/internal/golden"
)

// cases are the inputs under testdata/, each translated with its default
// tenant; TestCasesCoverTestdata keeps the list and the directory in step.
var cases = []struct {
	name          string
	defaultTenant string
}{
	{"aws_lambda", "default"},
	{"aws_legacy_detector", "default"},
	{"gcp_cloud_functions", "default"},
	{"gcp_cloud_run", "default"},
	{"azure_functions", "default"},
	{"plain_server", "default"},
	{"missing_attributes", "default"},
	{"malformed", "default"},
	{"tenant", "team-x"},
	{"nested_server", "default"},
}

func readTraces(tb testing.TB, name string) ptrace.Traces {
	tb.Helper()
	path := filepath.Join("testdata", name+".input.json")
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

func TestCasesCoverTestdata(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.input.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) != len(cases) {
		t.Errorf("testdata has %d inputs, cases lists %d: add the new input to cases", len(inputs), len(cases))
	}
}

// TestGolden compares the whole Result, attributes included, with
// testdata/<case>.golden.json.
func TestGolden(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.MarshalIndent(Traces(readTraces(t, tc.name), tc.defaultTenant), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden.Check(t, filepath.Join("testdata", tc.name+".golden.json"), got)
		})
	}
}

// TestInvocations spells out, field by field, the invocations each input
// must yield by the rules in doc.go; the golden files must agree with it.
func TestInvocations(t *testing.T) {
	const t0 = 1763856000000000000
	lambda := ingest.Invocation{ // the resource of aws_lambda
		Tenant: "default", Function: "checkout-api", Version: "$LATEST", Instance: "2026/11/23/[$LATEST]abc",
		Provider: "aws", Platform: "aws_lambda", Region: "us-east-1", Account: "123456789012",
		Runtime: "go1.26.8", Architecture: "x86_64", MemoryMB: 512, Trigger: "http",
	}
	with := func(base ingest.Invocation, f func(*ingest.Invocation)) ingest.Invocation {
		f(&base)
		return base
	}
	want := map[string][]ingest.Invocation{
		// The DynamoDB CLIENT span in the same trace is no invocation.
		"aws_lambda": {
			with(lambda, func(i *ingest.Invocation) {
				i.StartNs, i.DurationNs, i.ColdStart = t0, 12345678, true
				i.TraceID, i.SpanID, i.InvocationID = "0102030405060708090a0b0c0d0e0f10", "1112131415161718", "af9c-11"
				i.InitDurationNs, i.MaxMemoryUsedMB = 117810000, 87
			}),
			with(lambda, func(i *ingest.Invocation) {
				i.StartNs, i.DurationNs, i.Error = t0+1e9, 2e6, true
				i.TraceID, i.SpanID, i.InvocationID = "a102030405060708090a0b0c0d0e0f10", "3132333435363738", "af9c-12"
				i.BilledDurationMs = 3 // 2.2 billed ms rounds up
			}),
		},
		// faas.max_memory 1024 is MB; faas.execution is the invocation id
		// and marks an INTERNAL span; "true" as a string is a cold start.
		"aws_legacy_detector": {{
			Tenant: "default", StartNs: t0, DurationNs: 100e6, ColdStart: true,
			Function: "legacy-fn", Provider: "aws", Platform: "aws_lambda", Region: "eu-west-1",
			Runtime: "nodejs18.19.0", Architecture: "arm64", MemoryMB: 1024, Trigger: "datasource",
			TraceID: "0102030405060708090a0b0c0d0e0f11", SpanID: "1112131415161719", InvocationID: "exec-legacy-1",
		}},
		// A SERVER span recognised by cloud.platform alone; its INTERNAL
		// child is no invocation. Memory sent as a numeric string.
		"gcp_cloud_functions": {{
			Tenant: "default", StartNs: t0, DurationNs: 50e6,
			Function: "orders-worker", Version: "00012-abc", Instance: "00f46b9285",
			Provider: "gcp", Platform: "gcp_cloud_functions", Region: "europe-west1", Account: "demo-project",
			Runtime: "cpython3.12.4", MemoryMB: 256,
			TraceID: "0102030405060708090a0b0c0d0e0f12", SpanID: "1112131415161720",
		}},
		// Memory sent as a double; the CLIENT child is no invocation.
		"gcp_cloud_run": {{
			Tenant: "default", StartNs: t0, DurationNs: 250e6,
			Function: "thumbnailer", Version: "thumbnailer-00007-xyz",
			Provider: "gcp", Platform: "gcp_cloud_run", Region: "us-central1", Architecture: "x86_64", MemoryMB: 512,
			TraceID: "0102030405060708090a0b0c0d0e0f16", SpanID: "1112131415161740",
		}},
		// The first is marked by faas.trigger (on an INTERNAL span); the
		// second is a SERVER span under semconv 1.36's azure.functions.
		"azure_functions": {
			{
				Tenant: "default", StartNs: t0, DurationNs: 30e6,
				Function: "billing-fn", Version: "1.4.0", Provider: "azure", Platform: "azure_functions",
				Region: "westeurope", Architecture: "x86_64", MemoryMB: 1536, Trigger: "timer",
				TraceID: "0102030405060708090a0b0c0d0e0f13", SpanID: "1112131415161721",
				InvocationID: "5b7c2c1e-0d4f-4a8e-9c3b-000000000001",
			},
			{
				Tenant: "default", StartNs: t0, DurationNs: 40e6,
				Function: "notify-fn", Provider: "azure", Platform: "azure_functions",
				Region: "northeurope", Architecture: "arm64",
				TraceID: "0102030405060708090a0b0c0d0e0f17", SpanID: "1112131415161750",
			},
		},
		// A web service on ECS: a SERVER span, but nothing says function.
		"plain_server": nil,
		"missing_attributes": {
			{
				Tenant: "default", StartNs: t0, DurationNs: 5e6, Function: "only-service", Runtime: "python", Trigger: "pubsub",
				TraceID: "0102030405060708090a0b0c0d0e0f19", SpanID: "1112131415161760",
			},
			{
				Tenant: "default", StartNs: t0, DurationNs: 1e6, Function: "unknown_service", InvocationID: "anon-1",
				TraceID: "0102030405060708090a0b0c0d0e0f15", SpanID: "1112131415161723",
			},
			{
				Tenant: "default", StartNs: t0, DurationNs: 2e6, Function: "named-only",
				TraceID: "0102030405060708090a0b0c0d0e0f1a", SpanID: "1112131415161761",
			},
		},
		"malformed": {
			// End before start: duration 0. Zero ids: "". faas.coldstart
			// "maybe" is unreadable, so the resource's true applies.
			// Negative init and "abc" billed: not reported; " 64 ": 64.
			// "lots" of memory: not reported. Runtime version alone.
			{
				Tenant: "default", StartNs: t0 + 50e6, ColdStart: true, Function: "odd-fn",
				Runtime: "3.12", Architecture: "riscv64", Trigger: "7", MaxMemoryUsedMB: 64,
			},
			// Negative memory and billed, "NaN" init, 1e300 MB used, int 7
			// as a cold start: all not reported; int invocation id: "42".
			{
				Tenant: "default", StartNs: t0, DurationNs: 1e6, Function: "negative-fn", Architecture: "arm32",
				TraceID: "0102030405060708090a0b0c0d0e0f1b", SpanID: "1112131415161770", InvocationID: "42",
			},
			{
				Tenant: "default", StartNs: t0 + 2e6, DurationNs: 1e6, ColdStart: true, Function: "negative-fn",
				Architecture: "arm32", BilledDurationMs: 12,
				TraceID: "0102030405060708090a0b0c0d0e0f1b", SpanID: "1112131415161771",
			},
			// faas.max_memory 128.4 (a double, MB): 128. No times, no span id.
			{
				Tenant: "default", Function: "double-mem-fn", MemoryMB: 128,
				TraceID: "0102030405060708090a0b0c0d0e0f1c",
			},
		},
		// faasight.tenant wins; blank or absent, the default tenant given.
		"tenant": {
			{
				Tenant: "acme", StartNs: t0, DurationNs: 1e6, Function: "acme-fn", Platform: "aws_lambda",
				TraceID: "0102030405060708090a0b0c0d0e0f1d", SpanID: "1112131415161780",
			},
			{
				Tenant: "team-x", StartNs: t0, DurationNs: 1e6, Function: "blank-tenant-fn", Platform: "aws_lambda",
				TraceID: "0102030405060708090a0b0c0d0e0f1e", SpanID: "1112131415161781",
			},
			{
				Tenant: "team-x", StartNs: t0, DurationNs: 1e6, Function: "no-tenant-fn", Platform: "aws_lambda",
				TraceID: "0102030405060708090a0b0c0d0e0f1f", SpanID: "1112131415161782",
			},
		},
		// Inside a function, a SERVER span whose parent is local (flags say
		// so: an HTTP framework's span) is no second invocation; one with a
		// remote parent, or without is-remote flags, is an invocation.
		"nested_server": {
			{
				Tenant: "default", StartNs: t0, DurationNs: 20e6, Function: "api-fn", Platform: "aws_lambda",
				TraceID: "0102030405060708090a0b0c0d0e0f30", SpanID: "3112131415161701",
			},
			{
				Tenant: "default", StartNs: t0 + 1e9, DurationNs: 20e6, Function: "api-fn", Platform: "aws_lambda",
				TraceID: "0102030405060708090a0b0c0d0e0f31", SpanID: "3112131415161703",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, ok := want[tc.name]
			if !ok {
				t.Fatal("no expectation written for this case")
			}
			got := Traces(readTraces(t, tc.name), tc.defaultTenant).Invocations
			if len(got) != len(w) {
				t.Fatalf("%d invocations, want %d: %+v", len(got), len(w), got)
			}
			for i := range w {
				if got[i] != w[i] {
					t.Errorf("invocation %d:\n got %+v\nwant %+v", i, got[i], w[i])
				}
			}
		})
	}
}

// TestSpans checks the span records that the invocation table does not:
// every span is kept, with kind, parent, status and attributes.
func TestSpans(t *testing.T) {
	type span struct{ name, kind, parent, status, message, service, function string }
	for _, tc := range []struct {
		name string
		want []span
	}{
		{"aws_lambda", []span{
			{"checkout-api", "SERVER", "", "UNSET", "", "checkout", "checkout-api"},
			{"checkout-api", "SERVER", "", "ERROR", "boom", "checkout", "checkout-api"},
			{"DynamoDB.PutItem", "CLIENT", "1112131415161718", "OK", "", "checkout", "checkout-api"},
		}},
		{"plain_server", []span{
			{"GET /", "SERVER", "", "UNSET", "", "plain-web", "plain-web"},
			{"orders publish", "PRODUCER", "1112131415161722", "UNSET", "", "plain-web", "plain-web"},
			{"orders process", "CONSUMER", "", "UNSET", "", "plain-web", "plain-web"},
			{"no kind", "UNSPECIFIED", "1112131415161724", "UNSET", "", "plain-web", "plain-web"},
		}},
		{"missing_attributes", []span{
			{"handle", "SERVER", "", "UNSET", "", "only-service", "only-service"},
			{"anon", "INTERNAL", "", "UNSET", "", "", "unknown_service"},
			{"named-only", "SERVER", "", "UNSET", "", "", "named-only"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []span
			for _, s := range Traces(readTraces(t, tc.name), "default").Spans {
				got = append(got, span{s.Name, s.Kind, s.ParentSpanID, s.StatusCode, s.StatusMessage, s.Service, s.Function})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}

	// Attribute values of every type are rendered by AsString.
	r := Traces(readTraces(t, "malformed"), "default")
	for _, tc := range []struct {
		attrs     ingest.Attributes
		key, want string
	}{
		{r.Spans[0].ResourceAttrs, "deployment", `{"canary":false,"env":"prod"}`},
		{r.Spans[0].ResourceAttrs, "blob", "AQID"},
		{r.Spans[0].ResourceAttrs, "faas.coldstart", "true"},
		{r.Spans[0].Attrs, "tags", `[1,"x"]`},
		{r.Spans[0].Attrs, "faasight.init_duration_ms", "-5"},
		{r.Spans[1].Attrs, "faas.invocation_id", "42"},
	} {
		i := slices.Index(tc.attrs.Keys, tc.key)
		if i < 0 || tc.attrs.Values[i] != tc.want {
			t.Errorf("attribute %s: keys %q values %q, want %q", tc.key, tc.attrs.Keys, tc.attrs.Values, tc.want)
		}
	}
}

func TestDefaultTenant(t *testing.T) {
	for _, tc := range []struct{ defaultTenant, want string }{
		{"", ingest.DefaultTenant},
		{"team-x", "team-x"},
	} {
		r := Traces(readTraces(t, "tenant"), tc.defaultTenant)
		for _, s := range r.Spans[1:] { // the first names its tenant
			if s.Tenant != tc.want {
				t.Errorf("default tenant %q: span %q has tenant %q, want %q", tc.defaultTenant, s.Name, s.Tenant, tc.want)
			}
		}
		if r.Spans[0].Tenant != "acme" {
			t.Errorf("faasight.tenant ignored: %q", r.Spans[0].Tenant)
		}
	}
}

// TestAppendTraces checks the reuse path the exporter may take: appending
// adds to what is there, Reset keeps capacity, and records do not share
// storage a reader could overwrite.
func TestAppendTraces(t *testing.T) {
	td := readTraces(t, "aws_lambda")
	var r Result
	AppendTraces(&r, td, "")
	AppendTraces(&r, readTraces(t, "gcp_cloud_run"), "")
	if len(r.Spans) != 5 || len(r.Invocations) != 3 {
		t.Fatalf("after two batches: %d spans, %d invocations; want 5, 3", len(r.Spans), len(r.Invocations))
	}
	if r.Invocations[2].Function != "thumbnailer" || r.Invocations[0].Function != "checkout-api" {
		t.Errorf("batches mixed up: %q, %q", r.Invocations[0].Function, r.Invocations[2].Function)
	}

	spans := cap(r.Spans)
	r.Reset()
	AppendTraces(&r, td, "")
	if len(r.Spans) != 3 || cap(r.Spans) != spans {
		t.Errorf("after Reset: len %d cap %d, want 3 and the old capacity %d", len(r.Spans), cap(r.Spans), spans)
	}

	// The attribute slices of one span end where the next begin; an append
	// must not reach into the neighbour.
	next := slices.Clone(r.Spans[1].Attrs.Keys)
	_ = append(r.Spans[0].Attrs.Keys, "clobber")
	_ = append(r.Spans[0].Attrs.Values, "clobber")
	if !slices.Equal(r.Spans[1].Attrs.Keys, next) {
		t.Errorf("appending to one span's attributes changed the next span's: %q", r.Spans[1].Attrs.Keys)
	}
}

func TestNormalizeArch(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"amd64", "x86_64"}, {"x86_64", "x86_64"}, {"X64", "x86_64"}, {"x86-64", "x86_64"},
		{"arm64", "arm64"}, {"aarch64", "arm64"}, {"AArch64", "arm64"},
		{"arm", "arm32"}, {"armv7l", "arm32"},
		{"", ""}, {"  ", ""}, {"ppc64le", "ppc64le"}, {"S390X", "s390x"}, {"386", "386"},
	} {
		if got := NormalizeArch(tc.in); got != tc.want {
			t.Errorf("NormalizeArch(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMemoryMB(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want uint32
	}{
		{128, 128}, {10240, 10240}, {65535, 65535}, // MB, from legacy detectors
		{65536, 0}, // bytes: 64 KiB is 0.0625 MB
		{128 << 20, 128}, {10240 << 20, 10240},
		{(128 << 20) + (1 << 19), 129}, // 128.5 MB rounds to the nearest
		{(128 << 20) + (1 << 19) - 1, 128},
		{1e300, 0}, // out of range: not reported
	} {
		if got := memoryMB(tc.in); got != tc.want {
			t.Errorf("memoryMB(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestJoinRuntime(t *testing.T) {
	for _, tc := range []struct{ name, version, want string }{
		{"go", "go1.26.8", "go1.26.8"}, // the Go SDK repeats the name
		{"python", "3.12", "python3.12"},
		{"nodejs", "22.11.0", "nodejs22.11.0"},
		{"CPython", "cpython3.12", "cpython3.12"},
		{"java", "", "java"},
		{"", "3.12", "3.12"},
		{"", "", ""},
	} {
		if got := joinRuntime(tc.name, tc.version); got != tc.want {
			t.Errorf("joinRuntime(%q, %q) = %q, want %q", tc.name, tc.version, got, tc.want)
		}
	}
}

func TestPlatform(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		faas     bool
	}{
		{"aws_lambda", "aws_lambda", true},
		{"gcp_cloud_functions", "gcp_cloud_functions", true},
		{"gcp_cloud_run", "gcp_cloud_run", true},
		{"azure_functions", "azure_functions", true},
		{"azure.functions", "azure_functions", true},
		{"azure.container_apps", "azure_container_apps", true},
		{"alibaba_cloud_fc", "alibaba_cloud_fc", true},
		{"tencent_cloud_scf", "tencent_cloud_scf", true},
		{"aws_ecs", "aws_ecs", false},
		{"aws_app_runner", "aws_app_runner", false},
		{"azure.vm", "azure_vm", false},
		{"", "", false},
	} {
		got, faas := platform(tc.in)
		if got != tc.want || faas != tc.faas {
			t.Errorf("platform(%q) = %q, %v; want %q, %v", tc.in, got, faas, tc.want, tc.faas)
		}
	}
}

func TestLenientValues(t *testing.T) {
	m := pcommon.NewMap()
	m.PutBool("bool", true)
	m.PutInt("one", 1)
	m.PutInt("seven", 7)
	m.PutDouble("zero.0", 0)
	m.PutStr("TRUE", " TRUE ")
	m.PutStr("f", "f")
	m.PutStr("maybe", "maybe")
	m.PutStr("num", " 134217728 ")
	m.PutStr("exp", "1.5e3")
	m.PutDouble("neg", -1)
	m.PutStr("inf", "+Inf")
	m.PutEmptySlice("slice")
	for _, tc := range []struct {
		key    string
		b, bOK bool
		n      float64
		nOK    bool
	}{
		{"bool", true, true, 0, false},
		{"one", true, true, 1, true},
		{"seven", false, false, 7, true},
		{"zero.0", false, true, 0, true},
		{"TRUE", true, true, 0, false},
		{"f", false, true, 0, false},
		{"maybe", false, false, 0, false},
		{"num", false, false, 134217728, true},
		{"exp", false, false, 1500, true},
		{"neg", false, false, 0, false},
		{"inf", false, false, 0, false},
		{"slice", false, false, 0, false},
	} {
		v, _ := m.Get(tc.key)
		if got := boolean(v); got != (optBool{tc.b, tc.bOK}) {
			t.Errorf("boolean(%s) = %+v, want {%v %v}", tc.key, got, tc.b, tc.bOK)
		}
		if got := number(v); got != (optNum{tc.n, tc.nOK}) {
			t.Errorf("number(%s) = %+v, want {%v %v}", tc.key, got, tc.n, tc.nOK)
		}
	}
}

// FuzzTraces feeds arbitrary OTLP protobuf, seeded with the testdata
// inputs, and checks that translation never panics and keeps its
// invariants.
func FuzzTraces(f *testing.F) {
	for _, tc := range cases {
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(readTraces(f, tc.name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	kinds := []string{"SERVER", "CLIENT", "PRODUCER", "CONSUMER", "INTERNAL", "UNSPECIFIED"}
	statuses := []string{"UNSET", "OK", "ERROR"}
	f.Fuzz(func(t *testing.T, data []byte) {
		td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(data)
		if err != nil {
			return
		}
		r := Traces(td, "")
		if len(r.Spans) != td.SpanCount() {
			t.Fatalf("%d span records from %d spans", len(r.Spans), td.SpanCount())
		}
		if len(r.Invocations) > len(r.Spans) {
			t.Fatalf("%d invocations from %d spans", len(r.Invocations), len(r.Spans))
		}
		for _, s := range r.Spans {
			if s.Tenant == "" || s.Function == "" {
				t.Fatalf("span without tenant or function: %+v", s)
			}
			if !slices.Contains(kinds, s.Kind) || !slices.Contains(statuses, s.StatusCode) {
				t.Fatalf("kind %q, status %q", s.Kind, s.StatusCode)
			}
			if len(s.Attrs.Keys) != len(s.Attrs.Values) || len(s.ResourceAttrs.Keys) != len(s.ResourceAttrs.Values) {
				t.Fatalf("keys and values differ in length: %+v", s)
			}
		}
		// Invocations come in span order, so each one's span is found by
		// walking the spans once.
		j := 0
		for _, inv := range r.Invocations {
			for j < len(r.Spans) && (r.Spans[j].TraceID != inv.TraceID || r.Spans[j].SpanID != inv.SpanID ||
				r.Spans[j].StartNs != inv.StartNs) {
				j++
			}
			if j == len(r.Spans) {
				t.Fatalf("invocation %s/%s has no span", inv.TraceID, inv.SpanID)
			}
			s := r.Spans[j]
			if inv.Tenant != s.Tenant || inv.Function != s.Function || inv.DurationNs != s.DurationNs ||
				inv.Error != (s.StatusCode == "ERROR") {
				t.Fatalf("invocation %+v disagrees with its span %+v", inv, s)
			}
			j++
		}
	})
}
