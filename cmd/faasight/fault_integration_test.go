package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/faasight/faasight/internal/chtest"
	"github.com/faasight/faasight/loadgen/sample"
)

// invocationsOnly are the demo functions without outbound calls: one span
// per invocation, so span and invocation counts are the same.
func invocationsOnly() []sample.Function {
	fns := sample.DefaultFunctions()
	for i := range fns {
		fns[i].Outbound = ""
	}
	return fns
}

// TestClickHouseOutageLosesNothing stops ClickHouse for 20 s in the middle
// of sending 100k invocations; afterwards every invocation is counted
// exactly once.
func TestClickHouseOutageLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: runs for about a minute")
	}
	ch := chtest.StartPrivate(t)
	dsn := chtest.DSN(ch, "fault")
	r := startServe(t, dsn, t.TempDir(), nil)

	const total, chunks = 100_000, 50
	fns := invocationsOnly()
	from := time.Now().Add(-time.Hour).Truncate(time.Second)
	invs := sample.Generate(11, fns, total, from, 50*time.Minute)

	var wg sync.WaitGroup
	sendErr := make(chan error, 1)
	progress := make(chan int, chunks)
	wg.Add(1)
	go func() {
		defer wg.Done()
		per := total / chunks
		for i := 0; i < chunks; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			err := sample.Send(ctx, sample.Options{Endpoint: r.grpc}, fns, invs[i*per:(i+1)*per])
			cancel()
			if err != nil {
				sendErr <- fmt.Errorf("chunk %d: %w", i, err)
				return
			}
			progress <- i
			time.Sleep(300 * time.Millisecond) // pace the sender over ~20 s
		}
	}()

	// Kill ClickHouse once a fifth has been sent; bring it back 20 s later.
	for i := range progress {
		if i >= chunks/5 {
			break
		}
	}
	if err := ch.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Logf("ClickHouse killed")
	downUntil := time.Now().Add(20 * time.Second)
	for time.Now().Before(downUntil) {
		select {
		case err := <-sendErr:
			t.Fatalf("a sender saw an error while ClickHouse was down: %v", err)
		case <-time.After(time.Until(downUntil)):
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := ch.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("ClickHouse restarted")
	wg.Wait()
	select {
	case err := <-sendErr:
		t.Fatal(err)
	default:
	}

	to := from.Add(time.Hour)
	waitFor(t, 3*time.Minute, "every invocation counted", func() (bool, string) {
		n := r.totalInvocations(t, "default", from, to)
		return n == total, fmt.Sprintf("%d of %d", n, total)
	})
	var fr functionsResponse
	r.get(t, fmt.Sprintf("/api/v1/functions?from=%d&to=%d", from.Unix(), to.Unix()), "", &fr)
	want := truthOf(invs)
	for _, f := range fr.Functions {
		if w := want[f.Name]; f.Invocations != uint64(w.invocations) || f.ColdStarts != uint64(w.cold) || f.Errors != uint64(w.errors) {
			t.Errorf("%s: %d/%d/%d, want %d/%d/%d", f.Name, f.Invocations, f.ColdStarts, f.Errors, w.invocations, w.cold, w.errors)
		}
	}
}

// TestRestartDrainsQueue: spans acknowledged while ClickHouse is down are
// on disk; a faasight restart delivers them.
func TestRestartDrainsQueue(t *testing.T) {
	ch := chtest.StartPrivate(t)
	dsn := chtest.DSN(ch, "restart")
	dataDir := t.TempDir()
	first := startServe(t, dsn, dataDir, nil)
	if err := ch.Kill(); err != nil {
		t.Fatal(err)
	}
	fns := invocationsOnly()
	from := time.Now().Add(-time.Hour).Truncate(time.Second)
	invs := sample.Generate(5, fns, 5000, from, 30*time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := sample.Send(ctx, sample.Options{Endpoint: first.grpc}, fns, invs); err != nil {
		t.Fatalf("send while ClickHouse is down: %v", err)
	}
	first.stop(t)

	if err := ch.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	second := startServe(t, dsn, dataDir, nil)
	waitFor(t, 2*time.Minute, "queued invocations delivered after restart", func() (bool, string) {
		n := second.totalInvocations(t, "default", from, from.Add(time.Hour))
		return n == uint64(len(invs)), fmt.Sprintf("%d of %d", n, len(invs))
	})
}

// lambdaTraces builds n invocation spans with pdata; tests that need to see
// raw OTLP status codes send them with a plain OTLP client (the SDK would
// retry and hide them).
func lambdaTraces(seed, n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("faas.name", "bp-fn")
	rs.Resource().Attributes().PutStr("cloud.platform", "aws_lambda")
	ss := rs.ScopeSpans().AppendEmpty().Spans()
	now := time.Now().Add(-time.Minute)
	for i := 0; i < n; i++ {
		s := ss.AppendEmpty()
		s.SetName("bp-fn")
		s.SetKind(ptrace.SpanKindServer)
		s.SetTraceID(pcommon.TraceID{byte(seed), byte(seed >> 8), byte(i), byte(i >> 8), byte(i >> 16), 1})
		s.SetSpanID(pcommon.SpanID{byte(seed), byte(seed >> 8), byte(i), byte(i >> 8), byte(i >> 16), 1})
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i) * time.Microsecond)))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i)*time.Microsecond + 5*time.Millisecond)))
		s.Attributes().PutStr("faas.trigger", "http")
	}
	return td
}

// TestBackPressure: with ClickHouse down and a small queue, senders are
// told to back off (gRPC RESOURCE_EXHAUSTED with RetryInfo, HTTP 429), the
// API answers 503, and everything that was accepted arrives once
// ClickHouse is back.
func TestBackPressure(t *testing.T) {
	ch := chtest.StartPrivate(t)
	dsn := chtest.DSN(ch, "backpressure")
	r := startServe(t, dsn, t.TempDir(), func(o *serveOptions) { o.queueSize = 3000 })
	if err := ch.Kill(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	conn, err := grpc.NewClient(r.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := ptraceotlp.NewGRPCClient(conn)
	accepted := 0
	var refusal *status.Status
	for i := 0; i < 200 && refusal == nil; i++ {
		_, err := client.Export(ctx, ptraceotlp.NewExportRequestFromTraces(lambdaTraces(i, 500)))
		if err == nil {
			accepted += 500
			continue
		}
		refusal = status.Convert(err)
	}
	if refusal == nil {
		t.Fatalf("100k spans accepted into a 3000-span queue with ClickHouse down")
	}
	if refusal.Code() != codes.ResourceExhausted {
		t.Fatalf("refusal: %v, want RESOURCE_EXHAUSTED", refusal)
	}
	hasRetryInfo := false
	for _, d := range refusal.Details() {
		if _, ok := d.(*errdetails.RetryInfo); ok {
			hasRetryInfo = true
		}
	}
	if !hasRetryInfo {
		t.Errorf("RESOURCE_EXHAUSTED without RetryInfo: OTLP clients would drop instead of retrying")
	}

	body, _ := ptraceotlp.NewExportRequestFromTraces(lambdaTraces(999, 500)).MarshalProto()
	resp, err := http.Post("http://"+r.http+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("OTLP/HTTP with a full queue: %s, want 429 or 503", resp.Status)
	}
	if code, body := r.get(t, "/api/v1/functions", "", nil); code != http.StatusServiceUnavailable {
		t.Errorf("API with ClickHouse down: %d %s, want 503", code, body)
	}

	if err := ch.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	waitFor(t, 2*time.Minute, "accepted spans delivered", func() (bool, string) {
		n := r.totalInvocations(t, "default", from, to)
		return n == uint64(accepted), fmt.Sprintf("%d of %d accepted", n, accepted)
	})
}

// TestMalformedOTLP: garbage gets a clear 4xx and does not disturb a
// well-behaved sender at the same time.
func TestMalformedOTLP(t *testing.T) {
	srv := chtest.Start(t)
	db := chtest.NewDatabase(t, srv)
	r := startServe(t, chtest.DSN(srv, db), t.TempDir(), nil)

	fns := invocationsOnly()
	from := time.Now().Add(-time.Hour).Truncate(time.Second)
	invs := sample.Generate(3, fns, 3000, from, 30*time.Minute)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		done <- sample.Send(ctx, sample.Options{Endpoint: r.grpc}, fns, invs)
	}()

	for _, c := range []struct{ contentType, body string }{
		{"application/x-protobuf", "\xff\xff\xff\xffnot a protobuf"},
		{"application/json", `{"resourceSpans": [ {"resource": 42`},
		{"application/json", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"x"}]}]}]}`},
	} {
		for i := 0; i < 20; i++ {
			resp, err := http.Post("http://"+r.http+"/v1/traces", c.contentType, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			msg := new(bytes.Buffer)
			msg.ReadFrom(resp.Body) //nolint:errcheck
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("%s %q: %s %s, want 400", c.contentType, c.body, resp.Status, msg)
			}
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("well-behaved sender: %v", err)
	}
	waitFor(t, time.Minute, "well-behaved sender's data complete", func() (bool, string) {
		n := r.totalInvocations(t, "default", from, from.Add(time.Hour))
		return n == uint64(len(invs)), fmt.Sprintf("%d of %d", n, len(invs))
	})
}
