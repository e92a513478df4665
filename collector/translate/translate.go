package translate

import (
	"math"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/faasight/faasight/ingest"
)

// Result is what one batch of traces translates into.
type Result struct {
	Invocations []ingest.Invocation
	Spans       []ingest.Span
}

// Reset empties r keeping its capacity, for reuse across batches.
func (r *Result) Reset() {
	r.Invocations = r.Invocations[:0]
	r.Spans = r.Spans[:0]
}

// Traces translates td; defaultTenant applies to resources without
// faasight.tenant.
func Traces(td ptrace.Traces, defaultTenant string) Result {
	var r Result
	AppendTraces(&r, td, defaultTenant)
	return r
}

// faasPlatforms are the cloud.platform values of function platforms.
var faasPlatforms = map[string]bool{
	"aws_lambda":            true,
	"gcp_cloud_functions":   true,
	"gcp_cloud_run":         true,
	"azure_functions":       true,
	"azure_container_apps":  true,
	"alibaba_cloud_fc":      true,
	"tencent_cloud_scf":     true,
	"ibm_cloud_code_engine": true,
}

// resourceInfo is what a resource says about every span under it.
type resourceInfo struct {
	tenant, function, service, version, instance       string
	provider, platform, region, account, runtime, arch string
	memoryMB                                           uint32
	isFaaS                                             bool // faas.name or a FaaS platform
	attrs                                              ingest.Attributes
	res                                                pcommon.Map
}

// AppendTraces appends td's records to r.
func AppendTraces(r *Result, td ptrace.Traces, defaultTenant string) {
	if defaultTenant == "" {
		defaultTenant = ingest.DefaultTenant
	}
	if n := td.SpanCount(); cap(r.Spans)-len(r.Spans) < n {
		spans := make([]ingest.Span, len(r.Spans), len(r.Spans)+n)
		copy(spans, r.Spans)
		r.Spans = spans
	}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		ri := describeResource(rs.Resource().Attributes(), defaultTenant)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				appendSpan(r, &ri, spans.At(k))
			}
		}
	}
}

func describeResource(m pcommon.Map, defaultTenant string) resourceInfo {
	ri := resourceInfo{res: m}
	ri.tenant = str(m, "faasight.tenant")
	if ri.tenant == "" {
		ri.tenant = defaultTenant
	}
	ri.service = str(m, "service.name")
	faasName := str(m, "faas.name")
	ri.function = firstNonEmpty(faasName, ri.service, "unknown_service")
	ri.version = firstNonEmpty(str(m, "faas.version"), str(m, "service.version"))
	ri.instance = str(m, "faas.instance")
	ri.provider = str(m, "cloud.provider")
	ri.platform = str(m, "cloud.platform")
	ri.region = str(m, "cloud.region")
	ri.account = str(m, "cloud.account.id")
	ri.runtime = str(m, "process.runtime.name") + str(m, "process.runtime.version")
	ri.arch = NormalizeArch(str(m, "host.arch"))
	if v, ok := number(m, "faas.max_memory"); ok {
		ri.memoryMB = memoryMB(v)
	}
	ri.isFaaS = faasName != "" || faasPlatforms[ri.platform]
	ri.attrs = flatten(m)
	return ri
}

// memoryMB converts faas.max_memory to MB. The convention says bytes; older
// AWS Lambda resource detectors sent the MB figure itself, and no function
// has less than 64 KiB, so small values are taken as MB.
func memoryMB(v float64) uint32 {
	if v <= 0 {
		return 0
	}
	if v < 65536 {
		return clampU32(v)
	}
	return clampU32(v / (1 << 20))
}

func clampU32(v float64) uint32 {
	return uint32(math.Min(math.Round(v), math.MaxUint32))
}

// NormalizeArch maps host.arch spellings onto x86_64 and arm64; other
// values are kept, lowercased.
func NormalizeArch(a string) string {
	switch a = strings.ToLower(strings.TrimSpace(a)); a {
	case "amd64", "x86_64", "x64", "x86-64":
		return "x86_64"
	case "arm64", "aarch64", "arm64v8":
		return "arm64"
	case "arm", "arm32", "armv7", "armv7l":
		return "arm32"
	}
	return a
}

func appendSpan(r *Result, ri *resourceInfo, s ptrace.Span) {
	attrs := s.Attributes()
	start, end := uint64(s.StartTimestamp()), uint64(s.EndTimestamp())
	var dur uint64
	if end > start {
		dur = end - start
	}
	traceID, spanID := traceIDHex(s.TraceID()), spanIDHex(s.SpanID())
	status := s.Status()
	r.Spans = append(r.Spans, ingest.Span{
		Tenant:        ri.tenant,
		StartNs:       start,
		DurationNs:    dur,
		TraceID:       traceID,
		SpanID:        spanID,
		ParentSpanID:  spanIDHex(s.ParentSpanID()),
		Name:          s.Name(),
		Kind:          kindName(s.Kind()),
		StatusCode:    statusName(status.Code()),
		StatusMessage: status.Message(),
		Service:       ri.service,
		Function:      ri.function,
		ResourceAttrs: ri.attrs,
		Attrs:         flatten(attrs),
	})

	trigger := lookupStr(attrs, ri.res, "faas.trigger")
	invocationID := firstNonEmpty(lookupStr(attrs, ri.res, "faas.invocation_id"), lookupStr(attrs, ri.res, "faas.execution"))
	_, hasTrigger := attrs.Get("faas.trigger")
	_, hasID := attrs.Get("faas.invocation_id")
	_, hasExec := attrs.Get("faas.execution")
	if !hasTrigger && !hasID && !hasExec && !(s.Kind() == ptrace.SpanKindServer && ri.isFaaS) {
		return
	}
	inv := ingest.Invocation{
		Tenant:       ri.tenant,
		StartNs:      start,
		DurationNs:   dur,
		ColdStart:    lookupBool(attrs, ri.res, "faas.coldstart"),
		Error:        status.Code() == ptrace.StatusCodeError,
		Function:     ri.function,
		Version:      ri.version,
		Instance:     ri.instance,
		Provider:     ri.provider,
		Platform:     ri.platform,
		Region:       ri.region,
		Account:      ri.account,
		Runtime:      ri.runtime,
		Architecture: ri.arch,
		MemoryMB:     ri.memoryMB,
		Trigger:      trigger,
		TraceID:      traceID,
		SpanID:       spanID,
		InvocationID: invocationID,
	}
	if v, ok := lookupNumber(attrs, ri.res, "faasight.init_duration_ms"); ok && v > 0 {
		inv.InitDurationNs = uint64(math.Min(math.Round(v*1e6), math.MaxInt64))
	}
	if v, ok := lookupNumber(attrs, ri.res, "faasight.billed_duration_ms"); ok && v > 0 {
		inv.BilledDurationMs = uint64(math.Min(math.Ceil(v), math.MaxInt64))
	}
	if v, ok := lookupNumber(attrs, ri.res, "faasight.max_memory_used_mb"); ok && v > 0 {
		inv.MaxMemoryUsedMB = clampU32(v)
	}
	r.Invocations = append(r.Invocations, inv)
}

func kindName(k ptrace.SpanKind) string {
	switch k {
	case ptrace.SpanKindServer:
		return "SERVER"
	case ptrace.SpanKindClient:
		return "CLIENT"
	case ptrace.SpanKindProducer:
		return "PRODUCER"
	case ptrace.SpanKindConsumer:
		return "CONSUMER"
	case ptrace.SpanKindInternal:
		return "INTERNAL"
	}
	return "UNSPECIFIED"
}

func statusName(c ptrace.StatusCode) string {
	switch c {
	case ptrace.StatusCodeOk:
		return "OK"
	case ptrace.StatusCodeError:
		return "ERROR"
	}
	return "UNSET"
}

func traceIDHex(id pcommon.TraceID) string {
	if id.IsEmpty() {
		return ""
	}
	return id.String()
}

func spanIDHex(id pcommon.SpanID) string {
	if id.IsEmpty() {
		return ""
	}
	return id.String()
}

// flatten renders attributes as parallel string arrays (AsString renders
// maps and slices as JSON).
func flatten(m pcommon.Map) ingest.Attributes {
	n := m.Len()
	if n == 0 {
		return ingest.Attributes{}
	}
	a := ingest.Attributes{Keys: make([]string, 0, n), Values: make([]string, 0, n)}
	m.Range(func(k string, v pcommon.Value) bool {
		a.Keys = append(a.Keys, k)
		a.Values = append(a.Values, v.AsString())
		return true
	})
	return a
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func str(m pcommon.Map, key string) string {
	v, ok := m.Get(key)
	if !ok {
		return ""
	}
	return v.AsString()
}

// lookupStr, lookupBool and lookupNumber read a per-invocation attribute
// from the span, falling back to the resource.
func lookupStr(span, res pcommon.Map, key string) string {
	return firstNonEmpty(str(span, key), str(res, key))
}

func lookupBool(span, res pcommon.Map, key string) bool {
	for _, m := range []pcommon.Map{span, res} {
		v, ok := m.Get(key)
		if !ok {
			continue
		}
		switch v.Type() {
		case pcommon.ValueTypeBool:
			return v.Bool()
		case pcommon.ValueTypeInt:
			return v.Int() != 0
		case pcommon.ValueTypeStr:
			b, err := strconv.ParseBool(strings.TrimSpace(v.Str()))
			return err == nil && b
		}
		return false
	}
	return false
}

func lookupNumber(span, res pcommon.Map, key string) (float64, bool) {
	if v, ok := number(span, key); ok {
		return v, true
	}
	return number(res, key)
}

// number reads an int, double or numeric string; NaN, infinities and
// negatives are "not reported".
func number(m pcommon.Map, key string) (float64, bool) {
	v, ok := m.Get(key)
	if !ok {
		return 0, false
	}
	var f float64
	switch v.Type() {
	case pcommon.ValueTypeInt:
		f = float64(v.Int())
	case pcommon.ValueTypeDouble:
		f = v.Double()
	case pcommon.ValueTypeStr:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(v.Str()), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, false
	}
	return f, true
}
