// Package pipeline runs faasight's OTLP front door: an OpenTelemetry
// Collector, in-process, built from the components faasight ships (OTLP
// receiver, memory_limiter, batch, file_storage and the faasight exporter)
// and a default configuration derived from `faasight serve` flags — or a
// user's full collector configuration instead.
package pipeline

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"text/template"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/faasight/faasight/collector/faasightexporter"
)

// Components are the collector components compiled into faasight; a
// configuration given with --otel-config may use any of them.
func Components() (otelcol.Factories, error) {
	var f otelcol.Factories
	var err error
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		return f, err
	}
	if f.Processors, err = otelcol.MakeFactoryMap[processor.Factory](
		memorylimiterprocessor.NewFactory(), batchprocessor.NewFactory()); err != nil {
		return f, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](faasightexporter.NewFactory()); err != nil {
		return f, err
	}
	if f.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](filestorage.NewFactory()); err != nil {
		return f, err
	}
	f.Telemetry = otelconftelemetry.NewFactory()
	return f, nil
}

// Options derive the default configuration.
type Options struct {
	DSN       string // ClickHouse, native protocol
	Tenant    string
	GRPCAddr  string // OTLP/gRPC listen address
	HTTPAddr  string // OTLP/HTTP listen address
	QueueDir  string // persistent sending queue (file_storage)
	QueueSize int    // spans the queue holds before senders get back-pressure
	// FSync makes every queue write durable against power loss, not just a
	// process crash, at the cost of one fsync per request.
	FSync    bool
	LogLevel string // collector log level: debug, info, warn, error
	// MetricsAddr (host:port) serves the collector's own metrics —
	// otelcol_receiver_accepted_spans_total, otelcol_exporter_queue_size,
	// otelcol_exporter_send_failed_spans_total and more — in the
	// Prometheus format at /metrics; empty disables them.
	MetricsAddr string
}

//go:embed default.yaml.tmpl
var defaultTemplate string

var defaultConfig = template.Must(template.New("default.yaml").Option("missingkey=error").Parse(defaultTemplate))

// DefaultConfig renders the built-in collector configuration for opts.
func DefaultConfig(opts Options) (string, error) {
	if opts.QueueSize <= 0 {
		return "", fmt.Errorf("pipeline: queue size must be positive, not %d", opts.QueueSize)
	}
	data := struct {
		Options
		BatchMin, BatchMax int
		MetricsHost        string
		MetricsPort        int
	}{Options: opts, BatchMin: min(faasightexporter.DefaultBatchMinSize, opts.QueueSize),
		BatchMax: min(faasightexporter.DefaultBatchMaxSize, opts.QueueSize)}
	if opts.MetricsAddr != "" {
		host, port, err := net.SplitHostPort(opts.MetricsAddr)
		if err != nil {
			return "", fmt.Errorf("pipeline: metrics address %q: %w", opts.MetricsAddr, err)
		}
		if data.MetricsPort, err = strconv.Atoi(port); err != nil {
			return "", fmt.Errorf("pipeline: metrics address %q: port: %w", opts.MetricsAddr, err)
		}
		data.MetricsHost = host
	}
	var b bytes.Buffer
	if err := defaultConfig.Execute(&b, data); err != nil {
		return "", fmt.Errorf("pipeline: render default config: %w", err)
	}
	return b.String(), nil
}

// Pipeline is a running collector.
type Pipeline struct {
	done chan error
}

// Start starts the collector and returns once its receivers listen (or it
// failed to start). It runs until ctx is done; Wait returns its result.
// configFile, if not empty, is a full collector configuration used instead
// of the default; it may reference ${env:VAR}.
func Start(ctx context.Context, opts Options, configFile string, version string) (*Pipeline, error) {
	uri, err := configURI(opts, configFile)
	if err != nil {
		return nil, err
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "faasight", Description: "faasight OTLP front door", Version: version},
		Factories: Components,
		// faasight serve owns the process's signals and cancels ctx.
		DisableGracefulShutdown: true,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				URIs: []string{uri},
				ProviderFactories: []confmap.ProviderFactory{
					yamlprovider.NewFactory(), fileprovider.NewFactory(), envprovider.NewFactory(),
				},
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	p := &Pipeline{done: make(chan error, 1)}
	go func() {
		if err := col.Run(ctx); err != nil {
			p.done <- fmt.Errorf("pipeline: %w", err)
			return
		}
		p.done <- nil
	}()
	// The collector has no start-up callback; its state is the signal.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for col.GetState() != otelcol.StateRunning {
		select {
		case err := <-p.done:
			if err == nil {
				err = errors.New("pipeline: collector stopped during start-up")
			}
			return nil, err
		case <-tick.C:
		}
	}
	return p, nil
}

// Wait blocks until the collector has stopped (ctx given to Start is done
// or it failed) and returns why.
func (p *Pipeline) Wait() error { return <-p.done }

// Run starts the collector and blocks until it stops.
func Run(ctx context.Context, opts Options, configFile string, version string) error {
	p, err := Start(ctx, opts, configFile, version)
	if err != nil {
		return err
	}
	return p.Wait()
}

func configURI(opts Options, configFile string) (string, error) {
	if configFile != "" {
		abs, err := filepath.Abs(configFile)
		if err != nil {
			return "", fmt.Errorf("pipeline: --otel-config %s: %w", configFile, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("pipeline: --otel-config: %w", err)
		}
		return "file:" + abs, nil
	}
	if err := os.MkdirAll(opts.QueueDir, 0o750); err != nil {
		return "", fmt.Errorf("pipeline: queue directory: %w", err)
	}
	cfg, err := DefaultConfig(opts)
	if err != nil {
		return "", err
	}
	return "yaml:" + cfg, nil
}
