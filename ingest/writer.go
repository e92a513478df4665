package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Writer inserts canonical records into ClickHouse: one native columnar
// batch per table per Write. Writes are idempotent — the tables deduplicate
// on record identity — so a caller may retry a failed Write in full.
type Writer struct {
	conn driver.Conn

	invocationsInsert string
	spansInsert       string
}

// Column lists are spelled out: ClickHouse 18.16 answers a bare
// "INSERT INTO t" from clickhouse-go with an empty block description.
const (
	invocationColumns = "tenant, date, time, start_ns, duration_ns, cold_start, error, function, version, instance, " +
		"provider, platform, region, account, runtime, architecture, memory_mb, trigger, trace_id, span_id, " +
		"invocation_id, init_duration_ns, billed_duration_ms, max_memory_used_mb"
	spanColumns = "tenant, date, time, start_ns, duration_ns, trace_id, span_id, parent_span_id, name, kind, " +
		"status_code, status_message, service, function, resource_keys, resource_values, attr_keys, attr_values"
)

// NewWriter returns a Writer for the tables of database db (see Migrate).
func NewWriter(conn driver.Conn, db string) (*Writer, error) {
	if err := ValidateDatabaseName(db); err != nil {
		return nil, err
	}
	q := quoteIdent(db)
	return &Writer{
		conn:              conn,
		invocationsInsert: "INSERT INTO " + q + ".invocations (" + invocationColumns + ") VALUES",
		spansInsert:       "INSERT INTO " + q + ".spans (" + spanColumns + ") VALUES",
	}, nil
}

// Write inserts spans, then invocations. If the second insert fails after
// the first succeeded, retrying the whole Write is safe: the spans that
// land twice collapse into one row.
func (w *Writer) Write(ctx context.Context, invs []Invocation, spans []Span) error {
	if len(spans) > 0 {
		if err := w.send(ctx, w.spansInsert, spanColumnsOf(spans)); err != nil {
			return fmt.Errorf("ingest: insert %d spans: %w", len(spans), err)
		}
	}
	if len(invs) > 0 {
		if err := w.send(ctx, w.invocationsInsert, invocationColumnsOf(invs)); err != nil {
			return fmt.Errorf("ingest: insert %d invocations: %w", len(invs), err)
		}
	}
	return nil
}

func (w *Writer) send(ctx context.Context, insert string, cols []any) error {
	batch, err := w.conn.PrepareBatch(ctx, insert)
	if err != nil {
		return err
	}
	defer batch.Abort() //nolint:errcheck // no-op after Send
	for i, col := range cols {
		if err := batch.Column(i).Append(col); err != nil {
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return batch.Send()
}

// unixNano is the source of the partition date and the second-resolution
// time kept beside the nanosecond start.
func unixNano(startNs uint64) time.Time {
	return time.Unix(0, int64(startNs)).UTC()
}

func invocationColumnsOf(invs []Invocation) []any {
	n := len(invs)
	var (
		tenant, function, version, instance = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		provider, platform, region, account = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		runtime, arch, trigger, traceID     = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		spanID, invocationID                = make([]string, n), make([]string, n)
		ts                                  = make([]time.Time, n)
		start, dur, initDur, billed         = make([]uint64, n), make([]uint64, n), make([]uint64, n), make([]uint64, n)
		cold, failed                        = make([]uint8, n), make([]uint8, n)
		memory, maxUsed                     = make([]uint32, n), make([]uint32, n)
	)
	for i := range invs {
		r := &invs[i]
		tenant[i], function[i], version[i], instance[i] = r.Tenant, r.Function, r.Version, r.Instance
		provider[i], platform[i], region[i], account[i] = r.Provider, r.Platform, r.Region, r.Account
		runtime[i], arch[i], trigger[i], traceID[i] = r.Runtime, r.Architecture, r.Trigger, r.TraceID
		spanID[i], invocationID[i] = r.SpanID, r.InvocationID
		ts[i] = unixNano(r.StartNs)
		start[i], dur[i], initDur[i], billed[i] = r.StartNs, r.DurationNs, r.InitDurationNs, r.BilledDurationMs
		cold[i], failed[i] = boolU8(r.ColdStart), boolU8(r.Error)
		memory[i], maxUsed[i] = r.MemoryMB, r.MaxMemoryUsedMB
	}
	return []any{tenant, ts, ts, start, dur, cold, failed, function, version, instance,
		provider, platform, region, account, runtime, arch, memory, trigger, traceID, spanID,
		invocationID, initDur, billed, maxUsed}
}

func spanColumnsOf(spans []Span) []any {
	n := len(spans)
	var (
		tenant, traceID, spanID, parent   = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		name, kind, statusCode, statusMsg = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		service, function                 = make([]string, n), make([]string, n)
		ts                                = make([]time.Time, n)
		start, dur                        = make([]uint64, n), make([]uint64, n)
		resKeys, resValues, keys, values  = make([][]string, n), make([][]string, n), make([][]string, n), make([][]string, n)
	)
	for i := range spans {
		s := &spans[i]
		tenant[i], traceID[i], spanID[i], parent[i] = s.Tenant, s.TraceID, s.SpanID, s.ParentSpanID
		name[i], kind[i], statusCode[i], statusMsg[i] = s.Name, s.Kind, s.StatusCode, s.StatusMessage
		service[i], function[i] = s.Service, s.Function
		ts[i] = unixNano(s.StartNs)
		start[i], dur[i] = s.StartNs, s.DurationNs
		resKeys[i], resValues[i] = nonNil(s.ResourceAttrs.Keys), nonNil(s.ResourceAttrs.Values)
		keys[i], values[i] = nonNil(s.Attrs.Keys), nonNil(s.Attrs.Values)
	}
	return []any{tenant, ts, ts, start, dur, traceID, spanID, parent, name, kind,
		statusCode, statusMsg, service, function, resKeys, resValues, keys, values}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func boolU8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
