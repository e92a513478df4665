package faasightexporter

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestDefaultConfigIsValidAndNeverDrops(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	if cfg.BackOffConfig.MaxElapsedTime != 0 {
		t.Errorf("retry_on_failure.max_elapsed_time = %v: a deadline drops acknowledged data", cfg.BackOffConfig.MaxElapsedTime)
	}
	if !cfg.QueueConfig.HasValue() || cfg.QueueConfig.Get().Sizer != exporterhelper.RequestSizerTypeItems {
		t.Errorf("sending_queue must be enabled and sized in spans")
	}
}

func TestConfigFromYAML(t *testing.T) {
	for _, tc := range []struct {
		name    string
		raw     map[string]any
		wantErr []string // every problem reported by its key
	}{
		{name: "minimal", raw: map[string]any{"dsn": "clickhouse://ch:9000/obs"}},
		{name: "empty dsn and tenant", raw: map[string]any{"dsn": "", "tenant": ""}, wantErr: []string{"dsn: required", "tenant: must not be empty"}},
		{name: "bad database", raw: map[string]any{"dsn": "clickhouse://ch:9000/a-b"}, wantErr: []string{"dsn:", "a-b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			if err := confmap.NewFromStringMap(tc.raw).Unmarshal(cfg); err != nil {
				t.Fatal(err)
			}
			err := cfg.Validate()
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

func TestQueueFullBecomesResourceExhausted(t *testing.T) {
	inner, err := exporterhelper.NewTraces(context.Background(), exportertest.NewNopSettings(Type),
		NewFactory().CreateDefaultConfig(), func(context.Context, ptrace.Traces) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	bp := backPressure{Traces: errTraces{inner, exporterhelper.ErrQueueIsFull}}
	st := status.Convert(bp.ConsumeTraces(context.Background(), ptrace.NewTraces()))
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("code %v, want RESOURCE_EXHAUSTED", st.Code())
	}
	found := false
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.RetryDelay.AsDuration() > 0 {
			found = true
		}
	}
	if !found {
		t.Error("no RetryInfo: OTLP clients would not retry")
	}
	other := errors.New("boom")
	if err := (backPressure{Traces: errTraces{inner, other}}).ConsumeTraces(context.Background(), ptrace.NewTraces()); !errors.Is(err, other) {
		t.Errorf("other errors must pass unchanged, got %v", err)
	}
}

// errTraces answers every ConsumeTraces with err.
type errTraces struct {
	exporter.Traces
	err error
}

func (e errTraces) ConsumeTraces(context.Context, ptrace.Traces) error { return e.err }
