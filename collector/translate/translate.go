package translate

import (
	"encoding/hex"
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/faasight/faasight/ingest"
)

// Result is what one batch of traces translates into: one Span per span
// received, and one Invocation per span that is a function invocation.
//
// Records are meant to be read, not modified: the spans of one resource
// share their ResourceAttrs slices, and all attribute slices of a batch are
// carved from one allocation.
type Result struct {
	Invocations []ingest.Invocation
	Spans       []ingest.Span
}

// Reset empties r keeping its capacity, so that a caller translating batch
// after batch reuses the record slices. The records r held before are
// overwritten by the next AppendTraces: copy out whatever must outlive it.
func (r *Result) Reset() {
	r.Invocations = r.Invocations[:0]
	r.Spans = r.Spans[:0]
}

// Traces translates td into a new Result. defaultTenant is the tenant of
// resources without faasight.tenant; "" means ingest.DefaultTenant.
func Traces(td ptrace.Traces, defaultTenant string) Result {
	var r Result
	AppendTraces(&r, td, defaultTenant)
	return r
}

// AppendTraces appends td's records to r; see Traces.
func AppendTraces(r *Result, td ptrace.Traces, defaultTenant string) {
	if defaultTenant == "" {
		defaultTenant = ingest.DefaultTenant
	}
	rss := td.ResourceSpans()

	// One counting pass up front lets the batch allocate its record slices
	// and its attribute strings once, instead of growing them span by span:
	// the exporter calls this for every batch of thousands of spans.
	var nSpans, nServer, nStrs int
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		nStrs += 2 * rs.Resource().Attributes().Len()
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			nSpans += spans.Len()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				nStrs += 2 * s.Attributes().Len()
				if s.Kind() == ptrace.SpanKindServer {
					nServer++ // nearly every invocation is a SERVER span
				}
			}
		}
	}
	r.Spans = grow(r.Spans, nSpans)
	r.Invocations = grow(r.Invocations, nServer)
	b := batch{strs: make([]string, nStrs)}

	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := b.describeResource(rs.Resource().Attributes(), defaultTenant)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				b.appendSpan(r, &res, spans.At(k))
			}
		}
	}
}

// grow makes room for n more elements without changing len(s).
func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	g := make([]T, len(s), len(s)+n)
	copy(g, s)
	return g
}

// batch is the state of one AppendTraces call.
type batch struct {
	// strs is the attribute key/value storage of the whole batch, carved
	// up by take.
	strs []string

	// lastTrace and lastTraceHex remember the previous span's trace id:
	// the spans of one trace usually arrive together and then share one
	// hex string.
	lastTrace    pcommon.TraceID
	lastTraceHex string
}

// take returns n strings of the batch's storage (nil for none). The
// capacity is capped so that an append by a reader cannot overwrite the
// next span's attributes.
func (b *batch) take(n int) []string {
	if n == 0 {
		return nil
	}
	if n > len(b.strs) { // cannot happen: the counting pass saw every attribute
		return make([]string, n)
	}
	s := b.strs[:n:n]
	b.strs = b.strs[n:]
	return s
}

// flatten renders m as parallel string arrays, calling field for each
// attribute with its string form so that the caller picks out the
// attributes it reads in the same pass.
func (b *batch) flatten(m pcommon.Map, field func(k string, v pcommon.Value, s string)) ingest.Attributes {
	n := m.Len()
	if n == 0 {
		return ingest.Attributes{}
	}
	kv := b.take(2 * n)
	a := ingest.Attributes{Keys: kv[:0:n], Values: kv[n : n : 2*n]}
	for k, v := range m.All() {
		s := v.AsString() // no allocation for strings, the common case
		a.Keys = append(a.Keys, k)
		a.Values = append(a.Values, s)
		field(k, v, s)
	}
	return a
}

func (b *batch) appendSpan(r *Result, res *resource, s ptrace.Span) {
	var inv invocationAttrs
	marked := false
	attrs := b.flatten(s.Attributes(), func(k string, v pcommon.Value, str string) {
		marked = inv.read(k, v, str) || marked
	})

	start, end := uint64(s.StartTimestamp()), uint64(s.EndTimestamp())
	var dur uint64
	if end > start {
		dur = end - start
	}
	traceID, spanID, parentID := b.ids(s.TraceID(), s.SpanID(), s.ParentSpanID())
	status := s.Status()
	r.Spans = append(r.Spans, ingest.Span{
		Tenant:        res.tenant,
		StartNs:       start,
		DurationNs:    dur,
		TraceID:       traceID,
		SpanID:        spanID,
		ParentSpanID:  parentID,
		Name:          s.Name(),
		Kind:          kindName(s.Kind()),
		StatusCode:    statusName(status.Code()),
		StatusMessage: status.Message(),
		Service:       res.service,
		Function:      res.function,
		ResourceAttrs: res.attrs,
		Attrs:         attrs,
	})

	if !marked && (s.Kind() != ptrace.SpanKindServer || !res.faas || parentIsLocal(s)) {
		return
	}
	inv.fallBackTo(&res.inv)
	rec := ingest.Invocation{
		Tenant:       res.tenant,
		StartNs:      start,
		DurationNs:   dur,
		ColdStart:    inv.coldStart.v,
		Error:        status.Code() == ptrace.StatusCodeError,
		Function:     res.function,
		Version:      res.version,
		Instance:     res.instance,
		Provider:     res.provider,
		Platform:     res.platform,
		Region:       res.region,
		Account:      res.account,
		Runtime:      res.runtime,
		Architecture: res.arch,
		MemoryMB:     res.memoryMB,
		Trigger:      inv.trigger,
		TraceID:      traceID,
		SpanID:       spanID,
		InvocationID: inv.invocationID,
	}
	if rec.InvocationID == "" {
		rec.InvocationID = inv.execution
	}
	if inv.initMs.ok {
		rec.InitDurationNs = toUint64(math.Round(inv.initMs.v * 1e6))
	}
	if inv.billedMs.ok {
		// Providers bill whole milliseconds rounded up (AWS Lambda: 1 ms
		// granularity), so a fractional figure is one not yet rounded.
		rec.BilledDurationMs = toUint64(math.Ceil(inv.billedMs.v))
	}
	if inv.memUsedMB.ok {
		rec.MaxMemoryUsedMB = toUint32(math.Round(inv.memUsedMB.v))
	}
	r.Invocations = append(r.Invocations, rec)
}

// ids renders a span's ids as lowercase hex ("" for an invalid all-zero
// id) with at most one allocation: the three are substrings of one string,
// and the trace id is shared with the previous span of the same trace.
func (b *batch) ids(tid pcommon.TraceID, sid, pid pcommon.SpanID) (traceID, spanID, parentID string) {
	var buf [64]byte
	n := 0
	newTrace := !tid.IsEmpty() && (b.lastTraceHex == "" || tid != b.lastTrace)
	if newTrace {
		n += hex.Encode(buf[n:], tid[:])
	}
	spanAt := n
	if !sid.IsEmpty() {
		n += hex.Encode(buf[n:], sid[:])
	}
	parentAt := n
	if !pid.IsEmpty() {
		n += hex.Encode(buf[n:], pid[:])
	}
	all := string(buf[:n])
	if newTrace {
		b.lastTrace, b.lastTraceHex = tid, all[:spanAt]
	}
	if !tid.IsEmpty() {
		traceID = b.lastTraceHex
	}
	return traceID, all[spanAt:parentAt], all[parentAt:]
}

// OTLP span flags (opentelemetry-proto SpanFlags) telling whether the
// parent span context came from another process.
const (
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200
)

// parentIsLocal: a SERVER span whose parent is in the same process (an HTTP
// framework's span inside a function's handler) is not a second
// invocation. Only senders that set the is-remote flags say so; without
// them the span counts.
func parentIsLocal(s ptrace.Span) bool {
	f := s.Flags()
	return !s.ParentSpanID().IsEmpty() && f&flagHasIsRemote != 0 && f&flagIsRemote == 0
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
