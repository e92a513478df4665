// Package faasightexporter is the OpenTelemetry Collector exporter that
// writes traces into faasight's ClickHouse tables: it translates spans into
// canonical records (collector/translate) and hands them to ingest. It is a
// regular collector component (factory, config, validation), so it can be
// compiled into any otelcol build as well as run inside `faasight serve`.
package faasightexporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/faasight/faasight/ingest"
)

// Type is the component type: `exporters: faasight:`.
var Type = component.MustNewType("faasight")

// Batch bounds of the sending queue, in spans: ClickHouse wants few large
// inserts (each creates a part per table, and merging many small parts
// competes with the inserts — 10k-span batches halved ingest throughput in
// docs/benchmarks.md), and 200 ms of waiting keeps data fresh.
const (
	DefaultBatchMinSize  = 50_000
	DefaultBatchMaxSize  = 200_000
	DefaultFlushInterval = 200 * time.Millisecond
)

// NewFactory returns the exporter's factory.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(Type, createDefaultConfig,
		exporter.WithTraces(createTraces, component.StabilityLevelAlpha))
}

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	// Count the queue in spans, not requests: a request may carry one span
	// or ten thousand, and the bound is about memory and disk.
	queue.Sizer = exporterhelper.RequestSizerTypeItems
	queue.QueueSize = 1_000_000
	batch := exporterhelper.NewDefaultBatchConfig()
	batch.MinSize = DefaultBatchMinSize
	batch.MaxSize = DefaultBatchMaxSize
	batch.FlushTimeout = DefaultFlushInterval
	queue.Batch = configoptional.Some(batch)
	queue.NumConsumers = 4

	retry := configretry.NewDefaultBackOffConfig()
	// Never give up: data in the queue was acknowledged to its sender, and
	// dropping it after a deadline would lose it. A ClickHouse that stays
	// down fills the queue, which answers senders with back-pressure.
	retry.MaxElapsedTime = 0
	retry.InitialInterval = 500 * time.Millisecond
	retry.MaxInterval = 5 * time.Second

	timeout := exporterhelper.NewDefaultTimeoutConfig()
	timeout.Timeout = 30 * time.Second

	return &Config{
		DSN:           "clickhouse://127.0.0.1:9000/" + ingest.DefaultDatabase,
		Tenant:        ingest.DefaultTenant,
		CreateSchema:  true,
		TimeoutConfig: timeout,
		QueueConfig:   configoptional.Some(queue),
		BackOffConfig: retry,
	}
}

func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	c := cfg.(*Config)
	e := newTracesExporter(c, set)
	inner, err := exporterhelper.NewTraces(ctx, set, cfg, e.push,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithRetry(c.BackOffConfig),
	)
	if err != nil {
		return nil, err
	}
	return backPressure{inner}, nil
}
