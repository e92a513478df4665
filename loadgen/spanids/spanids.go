// Package spanids derives OpenTelemetry trace and span ids from invocation
// ids, so that the spans of an invocation are known before they are
// recorded (a platform can hand the function its parent span context) and
// sending an invocation twice sends the very same spans — exactly what an
// exporter's retry does, and what faasight must count once.
package spanids

import (
	"context"
	"crypto/sha256"

	"go.opentelemetry.io/otel/trace"
)

// For is the trace id and the invocation span's id of an invocation.
func For(invocationID string) (trace.TraceID, trace.SpanID) {
	sum := sha256.Sum256([]byte(invocationID))
	var tid trace.TraceID
	var sid trace.SpanID
	copy(tid[:], sum[:16])
	copy(sid[:], sum[16:24])
	return tid, sid
}

// Generator is an sdktrace.IDGenerator: a root span started with
// WithInvocation's context gets For(id); a child gets an id derived from
// the invocation and its trace (one child per invocation in the sample
// load; use a random generator where a function records many).
type Generator struct{}

type invocationKey struct{}

// WithInvocation marks ctx as belonging to invocation id.
func WithInvocation(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, invocationKey{}, id)
}

// NewIDs implements sdktrace.IDGenerator.
func (Generator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	return For(invocationOf(ctx))
}

// NewSpanID implements sdktrace.IDGenerator.
func (Generator) NewSpanID(ctx context.Context, traceID trace.TraceID) trace.SpanID {
	sum := sha256.Sum256(append([]byte(invocationOf(ctx)+"/child/"), traceID[:]...))
	var sid trace.SpanID
	copy(sid[:], sum[:8])
	return sid
}

func invocationOf(ctx context.Context) string {
	id, _ := ctx.Value(invocationKey{}).(string)
	return id
}
