package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faasight/faasight/collector/pipeline"
	"github.com/faasight/faasight/ingest"
	"github.com/faasight/faasight/internal/chtest"
	"github.com/faasight/faasight/loadgen/sample"
)

func TestMain(m *testing.M) { chtest.Main(m) }

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestPipelineWritesEverySpan runs the default pipeline against a real
// ClickHouse and checks that every span and invocation sent with the
// OpenTelemetry SDK is stored, with the schema created on the way.
func TestPipelineWritesEverySpan(t *testing.T) {
	srv := chtest.Start(t)
	db := chtest.NewDatabase(t, srv)
	opts := pipeline.Options{
		DSN: chtest.DSN(srv, db), Tenant: "default",
		GRPCAddr: freeAddr(t), HTTPAddr: freeAddr(t),
		QueueDir: filepath.Join(t.TempDir(), "queue"), QueueSize: 100_000, LogLevel: "warn",
		MetricsAddr: freeAddr(t),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pipeline.Run(ctx, opts, "", "test") }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("pipeline: %v", err)
		}
	}()

	fns := sample.DefaultFunctions() // two of three call a managed service: 2 spans per invocation
	invs := sample.Generate(1, fns, 1500, time.Now().Add(-time.Hour), time.Hour)
	sendCtx, sendCancel := context.WithTimeout(ctx, time.Minute)
	defer sendCancel()
	// The receiver may still be binding its port: retrying is the SDK's job.
	if err := sample.Send(sendCtx, sample.Options{Endpoint: opts.GRPCAddr}, fns, invs); err != nil {
		t.Fatal(err)
	}

	conn, _, err := ingest.Open(opts.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	wantSpans := uint64(len(invs)) // invocation spans
	for _, inv := range invs {
		for _, f := range fns {
			if f.Name == inv.Function && f.Outbound != "" {
				wantSpans++
			}
		}
	}
	deadline := time.Now().Add(time.Minute)
	var invRows, spanRows uint64
	for time.Now().Before(deadline) {
		conn.QueryRow(ctx, "SELECT count() FROM "+db+".invocations FINAL").Scan(&invRows) //nolint:errcheck // polled
		conn.QueryRow(ctx, "SELECT count() FROM "+db+".spans FINAL").Scan(&spanRows)      //nolint:errcheck // polled
		if invRows == uint64(len(invs)) && spanRows == wantSpans {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if invRows != uint64(len(invs)) || spanRows != wantSpans {
		t.Fatalf("stored %d invocations and %d spans, want %d and %d", invRows, spanRows, len(invs), wantSpans)
	}
	// The collector's own metrics say the same, in Prometheus format.
	resp, err := http.Get("http://" + opts.MetricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf(`otelcol_exporter_sent_spans{exporter="faasight"} %d`, wantSpans); !strings.Contains(string(body), want) {
		t.Errorf("/metrics lacks %q", want)
	}

	var clientSpans uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM "+db+".spans FINAL WHERE kind = 'CLIENT' AND attr_values[indexOf(attr_keys, 'rpc.system')] = 'aws-api'").Scan(&clientSpans); err != nil {
		t.Fatal(err)
	}
	if clientSpans != wantSpans-uint64(len(invs)) {
		t.Errorf("%d aws-api client spans, want %d", clientSpans, wantSpans-uint64(len(invs)))
	}
}

func TestDefaultConfigRenders(t *testing.T) {
	cfg, err := pipeline.DefaultConfig(pipeline.Options{DSN: "clickhouse://h:9000/x", Tenant: "t", GRPCAddr: "a:1",
		HTTPAddr: "b:2", QueueDir: "/q dir", QueueSize: 7, LogLevel: "info"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`dsn: "clickhouse://h:9000/x"`, `directory: "/q dir"`, "queue_size: 7", "storage: file_storage/queue"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("default config lacks %q:\n%s", want, cfg)
		}
	}
}
