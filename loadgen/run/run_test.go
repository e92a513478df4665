package run

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/faasight/faasight/loadgen/lambdaruntime"
	"github.com/faasight/faasight/loadgen/scenario"
)

// TestRunRecordsAndEmitsEveryInvocation runs a short scenario with the real
// sleep function: every invocation that ran is in the ledger and arrived
// as exactly one invocation span (plus the function's own handler span);
// throttled ones are in the ledger only.
func TestRunRecordsAndEmitsEveryInvocation(t *testing.T) {
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "sleep"), "github.com/faasight/faasight/loadgen/functions/sleep")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build sleep: %v\n%s", err, out)
	}

	var mu sync.Mutex
	kinds := map[string]int{} // span kind → count
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		rss := req.Traces().ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			ss := rss.At(i).ScopeSpans()
			for j := 0; j < ss.Len(); j++ {
				for k := 0; k < ss.At(j).Spans().Len(); k++ {
					kinds[ss.At(j).Spans().At(k).Kind().String()]++
				}
			}
		}
		mu.Unlock()
		resp, _ := ptraceotlp.NewExportResponse().MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(resp) //nolint:errcheck
	}))
	defer srv.Close()

	s, err := scenario.Parse([]byte(`
name: unit
seed: 5
duration: 3s
defaults: {provider: aws, platform: aws_lambda, region: us-east-1, architecture: x86_64, memory_mb: 128, keep_alive: 2s, concurrency: 2, timeout: 2s}
functions:
  - {name: s, function: sleep, payload: {ms: 5}, arrival: {process: bursts, rate: 2, burst_size: 4, burst_every: 1s}}
`))
	if err != nil {
		t.Fatal(err)
	}
	ledgerPath := filepath.Join(dir, "ledger.jsonl")
	sum, err := Run(context.Background(), Options{Scenario: s, FunctionsDir: dir,
		OTLPEndpoint: strings.TrimPrefix(srv.URL, "http://"), LedgerPath: ledgerPath})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ran, throttled int64
	if err := lambdaruntime.ReadLedger(f, func(r lambdaruntime.Result) error {
		if r.Status == lambdaruntime.StatusThrottled {
			throttled++
		} else {
			ran++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if ran != sum.Invocations || throttled != sum.Throttled || ran == 0 || throttled == 0 {
		t.Fatalf("ledger %d ran / %d throttled, summary %+v (the bursts of 4 over a limit of 2 must throttle)", ran, throttled, sum)
	}
	mu.Lock()
	defer mu.Unlock()
	if kinds["Server"] != int(ran) || kinds["Internal"] != int(ran) {
		t.Errorf("received %v spans, want %d invocation (Server) and %d handler (Internal) spans", kinds, ran, ran)
	}
}
