package faasightexporter

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/faasight/faasight/ingest"
)

// Config is the faasight exporter's configuration:
//
//	exporters:
//	  faasight:
//	    dsn: clickhouse://127.0.0.1:9000/faasight
//	    tenant: default
//	    create_schema: true
//	    timeout: 30s
//	    sending_queue: { storage: file_storage, sizer: items, queue_size: 1000000, batch: {...} }
//	    retry_on_failure: { max_elapsed_time: 0 }
type Config struct {
	// DSN of the ClickHouse server (native protocol); its path names the
	// database (default "faasight").
	DSN string `mapstructure:"dsn"`
	// Tenant for telemetry whose resource has no faasight.tenant attribute.
	Tenant string `mapstructure:"tenant"`
	// CreateSchema applies faasight's migrations before the first write, so
	// the exporter works in any collector build without `faasight migrate`.
	CreateSchema bool `mapstructure:"create_schema"`

	exporterhelper.TimeoutConfig `mapstructure:",squash"`
	QueueConfig                  configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	BackOffConfig                configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`
}

// Validate reports every problem by its key.
func (c *Config) Validate() error {
	var errs []error
	if c.DSN == "" {
		errs = append(errs, errors.New("dsn: required (e.g. clickhouse://127.0.0.1:9000/faasight)"))
	} else if opts, err := clickhouse.ParseDSN(c.DSN); err != nil {
		errs = append(errs, fmt.Errorf("dsn: %w", err))
	} else if opts.Auth.Database != "" {
		if err := ingest.ValidateDatabaseName(opts.Auth.Database); err != nil {
			errs = append(errs, fmt.Errorf("dsn: %w", err))
		}
	}
	if c.Tenant == "" {
		errs = append(errs, errors.New("tenant: must not be empty"))
	}
	return errors.Join(errs...)
}
