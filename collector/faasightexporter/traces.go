package faasightexporter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/faasight/faasight/collector/translate"
	"github.com/faasight/faasight/ingest"
)

type tracesExporter struct {
	cfg    *Config
	logger *zap.Logger

	conn   driver.Conn
	db     string
	writer *ingest.Writer

	// schemaMu guards schemaReady: the first pushes race to apply the
	// migrations; later pushes only read the flag.
	schemaMu    sync.Mutex
	schemaReady bool
}

func newTracesExporter(cfg *Config, set exporter.Settings) *tracesExporter {
	return &tracesExporter{cfg: cfg, logger: set.Logger}
}

// start connects lazily: clickhouse-go dials on first use, so a ClickHouse
// that is down at start delays writes (they are queued and retried) but does
// not stop the collector from accepting telemetry.
func (e *tracesExporter) start(_ context.Context, _ component.Host) error {
	conn, db, err := ingest.Open(e.cfg.DSN)
	if err != nil {
		return fmt.Errorf("faasight exporter: %w", err)
	}
	w, err := ingest.NewWriter(conn, db)
	if err != nil {
		conn.Close()
		return fmt.Errorf("faasight exporter: %w", err)
	}
	e.conn, e.db, e.writer = conn, db, w
	return nil
}

func (e *tracesExporter) shutdown(context.Context) error {
	if e.conn == nil {
		return nil
	}
	return e.conn.Close()
}

func (e *tracesExporter) push(ctx context.Context, td ptrace.Traces) error {
	if err := e.ensureSchema(ctx); err != nil {
		return err
	}
	res := translate.Traces(td, e.cfg.Tenant)
	// Every error is retried: the records are well-formed by construction,
	// so a failed insert means ClickHouse is unreachable or overloaded, and
	// the tables' deduplication makes a repeated insert harmless.
	if err := e.writer.Write(ctx, res.Invocations, res.Spans); err != nil {
		e.logger.Warn("insert failed; will retry", zap.Int("spans", len(res.Spans)), zap.Error(err))
		return err
	}
	return nil
}

func (e *tracesExporter) ensureSchema(ctx context.Context) error {
	if !e.cfg.CreateSchema {
		return nil
	}
	e.schemaMu.Lock()
	defer e.schemaMu.Unlock()
	if e.schemaReady {
		return nil
	}
	applied, err := ingest.Migrate(ctx, e.conn, e.db)
	if err != nil {
		return fmt.Errorf("faasight exporter: prepare schema: %w", err)
	}
	for _, m := range applied {
		e.logger.Info("applied schema migration", zap.Uint32("version", m.Version), zap.String("name", m.Name))
	}
	e.schemaReady = true
	return nil
}

// queueFullRetryDelay is what a sender is told to wait when the queue is
// full: long enough for a few inserts to drain it, short enough not to
// stall a function's flush.
const queueFullRetryDelay = time.Second

// backPressure turns "queue is full" into gRPC RESOURCE_EXHAUSTED with a
// RetryInfo (HTTP 429 through the OTLP receiver). Without the RetryInfo,
// OTLP clients treat RESOURCE_EXHAUSTED as final and drop the data; with a
// plain error the receiver would answer UNAVAILABLE, which reads as
// "faasight is down" rather than "slow down".
type backPressure struct {
	exporter.Traces
}

func (b backPressure) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	err := b.Traces.ConsumeTraces(ctx, td)
	if err == nil || !errors.Is(err, exporterhelper.ErrQueueIsFull) {
		return err
	}
	st := status.New(codes.ResourceExhausted,
		"faasight: ingest queue is full (ClickHouse is slow or unreachable); retry later")
	if withInfo, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(queueFullRetryDelay)}); derr == nil {
		st = withInfo
	}
	return st.Err()
}
