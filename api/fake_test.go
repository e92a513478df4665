package api

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/faasight/faasight/analysis"
)

// fakeReports answers with canned reports, records what it was asked, and
// fails or panics on demand.
type fakeReports struct {
	functions  []analysis.FunctionSummary
	coldStarts analysis.ColdStartReport
	latency    analysis.LatencyReport
	cost       analysis.CostReport
	costQuery  analysis.CostQuery // the last CostReport query; its method is in cost_report_test.go

	// What-if and right-sizing answers; their methods are in whatif_test.go.
	compare     analysis.CompareReport
	rightsizing analysis.RightsizingReport

	err      error  // returned by every report method when set
	readyErr error  // returned by Ready
	panicMsg string // every report method panics with it when set

	mu    sync.Mutex // guards calls
	calls []fakeCall
}

// fakeCall is one call of a report method.
type fakeCall struct {
	method   string
	rng      analysis.Range
	function string
	step     time.Duration
}

var _ Reports = (*fakeReports)(nil)

func (f *fakeReports) record(method string, r analysis.Range, function string, step time.Duration) error {
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{method: method, rng: r, function: function, step: step})
	f.mu.Unlock()
	if f.panicMsg != "" {
		panic(f.panicMsg)
	}
	return f.err
}

// lastCall is the most recent call; the test fails when there was none.
func (f *fakeReports) lastCall(t testing.TB) fakeCall {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("the reports were not called")
	}
	return f.calls[len(f.calls)-1]
}

func (f *fakeReports) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeReports) Functions(_ context.Context, r analysis.Range) ([]analysis.FunctionSummary, error) {
	if err := f.record("Functions", r, "", 0); err != nil {
		return nil, err
	}
	return f.functions, nil
}

func (f *fakeReports) ColdStarts(_ context.Context, r analysis.Range, function string, step time.Duration) (analysis.ColdStartReport, error) {
	if err := f.record("ColdStarts", r, function, step); err != nil {
		return analysis.ColdStartReport{}, err
	}
	return f.coldStarts, nil
}

func (f *fakeReports) Latency(_ context.Context, r analysis.Range, function string, step time.Duration) (analysis.LatencyReport, error) {
	if err := f.record("Latency", r, function, step); err != nil {
		return analysis.LatencyReport{}, err
	}
	return f.latency, nil
}

func (f *fakeReports) Cost(_ context.Context, r analysis.Range) (analysis.CostReport, error) {
	if err := f.record("Cost", r, "", 0); err != nil {
		return analysis.CostReport{}, err
	}
	return f.cost, nil
}

func (f *fakeReports) Ready(context.Context) error { return f.readyErr }

// sampleReports is a fake with a report of every kind. The numbers are
// awkward on purpose (0.1+0.2, tiny prices) so that a formatting shortcut
// that loses precision shows.
func sampleReports() *fakeReports {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	// Variables, not constants: constant arithmetic is exact in Go, and the
	// point is the float64 rounding (0.1+0.2 = 0.30000000000000004).
	tenth, fifth, tiny, gbSecond := 0.1, 0.2, 1e-7, 0.0000166667
	p := analysis.Percentiles{P50: 29.8, P90: 94.1, P95: 122.7, P99: 187.3, Max: 240.05}
	return &fakeReports{
		functions: []analysis.FunctionSummary{
			{
				Name: "checkout-api", Provider: "aws", Region: "us-east-1", Runtime: "go1.26",
				Architecture: "x86_64", MemoryMB: 512, Invocations: 1000, Errors: 21, ColdStarts: 52,
				ColdStartRate: 0.052, DurationMs: p, CostUSD: 0.000563,
			},
			{
				Name: "image-resize", Provider: "gcp", Region: "europe-west1", Runtime: "python3.13",
				Architecture: "arm64", MemoryMB: 1024, Invocations: 7, Errors: 0, ColdStarts: 7,
				ColdStartRate: 1, DurationMs: analysis.Percentiles{P50: 812.5, P90: 990, P95: 990, P99: 990, Max: 990},
				CostUSD: tenth + fifth,
			},
		},
		coldStarts: analysis.ColdStartReport{
			Function: "checkout-api", Invocations: 1000, ColdStarts: 52, ColdStartRate: 0.052,
			ColdDurationMs: analysis.Percentiles{P50: 310.2, P90: 401.9, P95: 420, P99: 455.75, Max: 470},
			WarmDurationMs: p,
			InitDurationMs: analysis.Percentiles{P50: 180.4, P90: 230.1, P95: 240, P99: 260.9, Max: 275},
			Series: []analysis.ColdStartBucket{
				{Time: t0, Invocations: 600, ColdStarts: 40, ColdStartRate: 40.0 / 600},
				{Time: t0.Add(time.Hour), Invocations: 400, ColdStarts: 12, ColdStartRate: 0.03},
				{Time: t0.Add(2 * time.Hour)},
			},
		},
		latency: analysis.LatencyReport{
			Function:   "checkout-api",
			DurationMs: p,
			Series: []analysis.LatencyBucket{
				{Time: t0, Invocations: 600, P50: 30.1, P90: 95, P95: 120.25, P99: 190},
				{Time: t0.Add(time.Hour), Invocations: 400, P50: 29.2, P90: 93, P95: 125, P99: 185.5},
			},
		},
		cost: analysis.CostReport{
			Currency: "USD",
			From:     t0.Add(-22 * time.Hour),
			To:       t0.Add(2 * time.Hour),
			Catalog:  analysis.CatalogRef{Name: "aws-lambda", EffectiveDate: "2026-10-01", Source: "https://aws.amazon.com/lambda/pricing/"},
			TotalUSD: 0.000563 + tenth + fifth,
			Items: []analysis.CostItem{
				{
					Function: "checkout-api", Provider: "aws", Region: "us-east-1", Architecture: "x86_64",
					MemoryMB: 512, Invocations: 1000, BilledDurationMs: 43210, GBSeconds: 21.605,
					RequestUSD: 0.0002, ComputeUSD: gbSecond * 21.605, TotalUSD: 0.0002 + gbSecond*21.605,
				},
				{
					// A name that needs CSV quoting.
					Function: `resize, "large"`, Provider: "gcp", Region: "europe-west1", Architecture: "arm64",
					MemoryMB: 1024, Invocations: 7, BilledDurationMs: 5700, GBSeconds: 5.7,
					RequestUSD: tiny * 7, ComputeUSD: tenth + fifth, TotalUSD: tiny*7 + tenth + fifth,
					Note: `no aws-lambda price for provider "gcp"`,
				},
			},
		},
	}
}
