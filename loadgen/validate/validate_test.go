package validate

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/faasight/faasight/analysis"
	"github.com/faasight/faasight/analysis/pricing"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func records() []Record {
	aws := func(d, init time.Duration, cold, failed bool) Record {
		return Record{Function: "fn", Start: t0, Duration: d, InitDuration: init, ColdStart: cold, Failed: failed,
			Provider: "aws", Region: "us-east-1", Architecture: "arm64", MemoryMB: 1024}
	}
	return []Record{
		aws(1500*time.Microsecond, 117810*time.Microsecond, true, false), // billed 120 ms
		aws(10*time.Millisecond, 0, false, false),                        // billed 10 ms
		aws(2200*time.Microsecond, 0, false, true),                       // billed 3 ms
		aws(40*time.Millisecond, 0, false, false),                        // billed 40 ms
	}
}

// TestExpectedByHand: four invocations of a 1024 MB arm64 function.
// Billed 120 + 10 + 3 + 40 = 173 ms = 0.173 GB-s × 0.0000133334 = 0.0000023066782;
// requests 4 × 0.20 / 1M = 0.0000008; total 0.0000031066782 USD.
// Durations sorted: 1.5, 2.2, 10, 40 ms; p50 rank ⌈2⌉ = 2.2; p90 and p99 rank 4 = 40.
func TestExpectedByHand(t *testing.T) {
	cat, err := pricing.Load()
	if err != nil {
		t.Fatal(err)
	}
	exp, err := ExpectedFrom(records(), cat)
	if err != nil {
		t.Fatal(err)
	}
	want := Expected{Invocations: 4, Errors: 1, ColdStarts: 1, P50: 2.2, P90: 40, P99: 40, CostUSD: 0.0000031066782}
	got := exp["fn"]
	if got.Invocations != want.Invocations || got.Errors != want.Errors || got.ColdStarts != want.ColdStarts ||
		got.P50 != want.P50 || got.P90 != want.P90 || got.P99 != want.P99 || !(got.CostUSD-want.CostUSD < 1e-15 && want.CostUSD-got.CostUSD < 1e-15) {
		t.Errorf("expected %+v, want %+v", got, want)
	}
}

func TestCompareAgainstAPI(t *testing.T) {
	cat, _ := pricing.Load()
	exp, _ := ExpectedFrom(records(), cat)
	answer := analysis.FunctionSummary{Name: "fn", Invocations: 4, Errors: 1, ColdStarts: 1,
		DurationMs: analysis.Percentiles{P50: 2.2, P90: 40, P99: 40}, CostUSD: 0.0000031066782}
	var gotQuery, gotTenant string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery, gotTenant = r.URL.RawQuery, r.Header.Get("X-Faasight-Tenant")
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"functions": []analysis.FunctionSummary{answer}}) //nolint:errcheck
	}))
	defer srv.Close()
	from, to := t0, t0.Add(time.Nanosecond)
	reported, err := Fetch(context.Background(), srv.Client(), srv.URL, "ci", from, to)
	if err != nil {
		t.Fatal(err)
	}
	if gotTenant != "ci" || gotQuery != "from=2026-11-23T10%3A00%3A00Z&to=2026-11-23T10%3A00%3A00.000000001Z" {
		t.Errorf("asked %q as %q", gotQuery, gotTenant)
	}
	if rep := Compare(exp, reported, from, to); !rep.OK {
		t.Errorf("matching answer failed: %+v", rep.Rows)
	}
	// A deliberately broken count, and a function faasight never saw.
	broken := answer
	broken.ColdStarts = 2
	rep := Compare(exp, []analysis.FunctionSummary{broken, {Name: "ghost", Invocations: 1}}, from, to)
	if rep.OK {
		t.Fatal("broken answer passed")
	}
	failed := map[string]bool{}
	for _, r := range rep.Rows {
		if !r.OK {
			failed[r.Function+"/"+r.Metric] = true
		}
	}
	if !failed["fn/cold_starts"] || !failed["ghost/invocations"] || failed["fn/invocations"] {
		t.Errorf("failed rows %v", failed)
	}
}
