package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/faasight/faasight/analysis"
	"github.com/faasight/faasight/analysis/pricing"
	"github.com/faasight/faasight/api"
	"github.com/faasight/faasight/collector/pipeline"
	"github.com/faasight/faasight/deploy/localch"
	"github.com/faasight/faasight/ingest"
)

type serveOptions struct {
	dataDir    string
	dsn        string
	grpcAddr   string
	httpAddr   string
	apiAddr    string
	otelConfig string
	tenant     string
	queueSize  int
	fsync      bool
	logLevel   string
	chTCPPort  int
	metrics    string
}

func newServeCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Receive OTLP from functions and serve the REST API",
		Long: `serve runs faasight: an OTLP receiver (gRPC and HTTP) that writes every span to
ClickHouse through a persistent on-disk queue, and the REST API.

Without --clickhouse, serve starts a private ClickHouse server itself, with its
data under --data-dir, and stops it on exit. With --clickhouse it uses that
server (native protocol DSN, e.g. clickhouse://user:pass@host:9000/faasight).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			return serve(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dataDir, "data-dir", ".faasight", "directory for the ingest queue and the private ClickHouse's data")
	f.StringVar(&o.dsn, "clickhouse", "", "ClickHouse DSN (native protocol); empty starts a private ClickHouse in --data-dir")
	f.StringVar(&o.grpcAddr, "otlp-grpc-addr", "127.0.0.1:4317", "OTLP/gRPC listen address")
	f.StringVar(&o.httpAddr, "otlp-http-addr", "127.0.0.1:4318", "OTLP/HTTP listen address")
	f.StringVar(&o.apiAddr, "api-addr", "127.0.0.1:8080", "REST API listen address")
	f.StringVar(&o.otelConfig, "otel-config", "", "full OpenTelemetry Collector config to run instead of the built-in one (components: otlp, memory_limiter, batch, file_storage, faasight)")
	f.StringVar(&o.tenant, "tenant", ingest.DefaultTenant, "tenant of telemetry without a faasight.tenant resource attribute, and of API requests without X-Faasight-Tenant")
	f.IntVar(&o.queueSize, "queue-size", 2_000_000, "spans the on-disk ingest queue holds before senders are told to back off")
	f.BoolVar(&o.fsync, "fsync", false, "fsync every queue write (survives power loss, not only a crash; slower)")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.StringVar(&o.metrics, "metrics-addr", "127.0.0.1:8888", "serve faasight's ingest metrics (Prometheus format, /metrics) here; empty disables them")
	f.IntVar(&o.chTCPPort, "clickhouse-port", 19000, "native port of the private ClickHouse (ignored with --clickhouse)")
	addConfigFlag(cmd)
	return cmd
}

func localFreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

func serve(ctx context.Context, o serveOptions) error {
	logger, err := newLogger(o.logLevel)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dataDir, 0o750); err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	// Bind the API first: a port already in use should fail before a
	// ClickHouse is started and data is accepted.
	apiListener, err := net.Listen("tcp", o.apiAddr)
	if err != nil {
		return fmt.Errorf("--api-addr: %w", err)
	}
	defer apiListener.Close()

	dsn := o.dsn
	if dsn == "" {
		srv, err := localch.Start(ctx, localch.Options{Dir: o.dataDir, TCPPort: o.chTCPPort, HTTPPort: o.chTCPPort + 1, Logger: logger})
		if err != nil {
			return err
		}
		defer func() {
			if err := srv.Stop(); err != nil {
				logger.Error("stop ClickHouse", "err", err)
			}
		}()
		dsn = srv.DSN(ingest.DefaultDatabase)
		logger.Info("private ClickHouse is up", "addr", srv.Addr(), "data", filepath.Join(o.dataDir, "clickhouse"))
	}

	conn, db, err := ingest.Open(dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	migrateAtStart(ctx, logger, conn, db)

	catalog, err := pricing.Load()
	if err != nil {
		return err
	}
	reports, err := analysis.New(conn, db, catalog, logger)
	if err != nil {
		return err
	}
	handler := api.New(reports, logger, api.Options{DefaultTenant: o.tenant})
	httpSrv := &http.Server{Handler: handler.Engine(), ReadHeaderTimeout: 10 * time.Second}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The pipeline first: once the API answers /readyz, OTLP is accepted.
	// The collector's start-up chatter is noise at info level.
	collectorLevel := o.logLevel
	if collectorLevel == "info" {
		collectorLevel = "warn"
	}
	pipe, err := pipeline.Start(ctx, pipeline.Options{DSN: dsn, Tenant: o.tenant, GRPCAddr: o.grpcAddr, HTTPAddr: o.httpAddr,
		QueueDir: filepath.Join(o.dataDir, "queue"), QueueSize: o.queueSize, FSync: o.fsync, LogLevel: collectorLevel,
		MetricsAddr: o.metrics},
		o.otelConfig, version)
	if err != nil {
		return err
	}
	errc := make(chan error, 2)
	go func() { errc <- pipe.Wait() }()
	go func() {
		if err := httpSrv.Serve(apiListener); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("api: %w", err)
			return
		}
		errc <- nil
	}()
	logger.Info("faasight is serving", "otlp_grpc", o.grpcAddr, "otlp_http", o.httpAddr, "api", "http://"+o.apiAddr)

	var runErr error
	pending := 2
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		pending--
	}
	cancel()
	logger.Info("shutting down")
	shutdownCtx, done := context.WithTimeout(context.Background(), 30*time.Second)
	defer done()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		logger.Error("api shutdown", "err", err)
	}
	// Wait for the collector to stop: it finishes in-flight inserts and
	// leaves the rest in the on-disk queue for the next start.
	for range pending {
		select {
		case err := <-errc:
			runErr = errors.Join(runErr, err)
		case <-shutdownCtx.Done():
			return errors.Join(runErr, errors.New("shutdown timed out"))
		}
	}
	return runErr
}

// migrateAtStart applies the schema, waiting a little for a ClickHouse that
// is still starting. If it stays unreachable, serve starts anyway: spans are
// queued on disk and the exporter applies the schema before its first write.
func migrateAtStart(ctx context.Context, logger *slog.Logger, conn ingest.Conn, db string) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		applied, err := ingest.Migrate(ctx, conn, db)
		if err == nil {
			for _, m := range applied {
				logger.Info("applied schema migration", "version", m.Version, "name", m.Name)
			}
			return
		}
		select {
		case <-ctx.Done():
			logger.Warn("schema not applied yet; ClickHouse unreachable, will retry before the first write", "err", err)
			return
		case <-time.After(time.Second):
		}
	}
}
