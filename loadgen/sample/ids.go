package sample

import (
	"context"
	"crypto/sha256"

	"go.opentelemetry.io/otel/trace"
)

// invocationIDs derives trace and span ids from the invocation id carried in
// the context, so sending the same invocation twice sends the very same
// spans — exactly what an exporter's retry does, and what faasight must
// count once.
type invocationIDs struct{}

type invocationKey struct{}

func withInvocation(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, invocationKey{}, id)
}

func (invocationIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	sum := sha256.Sum256([]byte(invocationOf(ctx)))
	var tid trace.TraceID
	var sid trace.SpanID
	copy(tid[:], sum[:16])
	copy(sid[:], sum[16:24])
	return tid, sid
}

func (invocationIDs) NewSpanID(ctx context.Context, traceID trace.TraceID) trace.SpanID {
	// An invocation has at most one child span (its outbound call), so the
	// invocation id alone identifies it.
	sum := sha256.Sum256(append([]byte(invocationOf(ctx)+"/child/"), traceID[:]...))
	var sid trace.SpanID
	copy(sid[:], sum[:8])
	return sid
}

func invocationOf(ctx context.Context) string {
	id, _ := ctx.Value(invocationKey{}).(string)
	return id
}
