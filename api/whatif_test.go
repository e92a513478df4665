package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/faasight/faasight/analysis"
)

func (f *fakeReports) Compare(_ context.Context, r analysis.Range, function string) (analysis.CompareReport, error) {
	if err := f.record("Compare", r, function, 0); err != nil {
		return analysis.CompareReport{}, err
	}
	return f.compare, nil
}

func (f *fakeReports) Rightsizing(_ context.Context, r analysis.Range) (analysis.RightsizingReport, error) {
	if err := f.record("Rightsizing", r, "", 0); err != nil {
		return analysis.RightsizingReport{}, err
	}
	return f.rightsizing, nil
}

// whatIfReports is sampleReports with a what-if and a right-sizing answer.
func whatIfReports() *fakeReports {
	f := sampleReports()
	t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tenth, fifth := 0.1, 0.2
	cat := func(name string) analysis.CatalogRef {
		return analysis.CatalogRef{Name: name, EffectiveDate: "2024-01-01", Source: "https://example.com/" + name}
	}
	f.compare = analysis.CompareReport{
		Currency: "USD", From: t0, To: t0.Add(24 * time.Hour), Function: "checkout-api", Billing: "list",
		Scenarios: []analysis.CompareScenario{
			{Key: "aws-lambda/x86_64", Catalog: cat("aws-lambda"), Provider: "aws", Product: "AWS Lambda", Architecture: "x86_64",
				DurationStepMs: 1, TotalUSD: 0.00000395834005, Notes: []string{}},
			{Key: "gcp-functions-gen2", Catalog: cat("gcp-functions-gen2"), Provider: "gcp", Product: "Cloud Run functions",
				DurationStepMs: 100, TotalUSD: tenth + fifth, Notes: []string{"vCPU unknown, assumed 0.333 (the default for 512 MB)"}},
		},
		Items: []analysis.CompareItem{{
			Function: "checkout-api", Provider: "aws", Region: "us-east-1", Architecture: "x86_64", MemoryMB: 512,
			MaxMemoryUsedMB: 200, Invocations: 3,
			Costs: []analysis.ScenarioCost{
				{Scenario: "aws-lambda/x86_64", Region: "us-east-1", MemoryMB: 512, BilledDurationMs: 403,
					RequestUSD: 0.0000006, ComputeUSD: 0.00000335834005, TotalUSD: 0.00000395834005},
				{Scenario: "gcp-functions-gen2", Region: "us-central1", MemoryMB: 512, BilledDurationMs: 600,
					RequestUSD: 0.0000012, ComputeUSD: tenth + fifth - 0.0000012, TotalUSD: tenth + fifth,
					Note: "vCPU unknown, assumed 0.333 (the default for 512 MB)"},
			},
		}},
		Assumptions: []string{"Billing is list."},
	}
	f.rightsizing = analysis.RightsizingReport{
		Currency: "USD", From: t0, To: t0.Add(24 * time.Hour), Billing: "list", MonthlyFactor: 30,
		Catalogs: []analysis.CatalogRef{cat("aws-lambda")},
		Items: []analysis.RightsizingItem{
			{
				Function: "checkout-api", Provider: "aws", Region: "us-east-1", Architecture: "x86_64", MemoryMB: 1024,
				Invocations: 100, MemorySamples: 100, MemoryUsedP99MB: 199, MemoryUsedMaxMB: 200, Catalog: "aws-lambda",
				WindowCostUSD: 0.000186667, MonthlyCostUSD: 0.00560001,
				Memory:             &analysis.MemoryRecommendation{RecommendedMB: 239, MonthlyCostUSD: 0.0017669945, MonthlySavingUSD: tenth + fifth},
				ArchitectureSwitch: &analysis.ArchitectureRecommendation{From: "x86_64", To: "arm64", MonthlyCostUSD: 0.00460002, MonthlySavingUSD: 0.00099999},
				Notes:              []string{"Lambda CPU scales with memory"},
			},
			{
				Function: "legacy", Provider: "aws", Region: "us-east-1", Architecture: "arm64", MemoryMB: 512, Invocations: 10,
				Catalog: "aws-lambda", Notes: []string{"no max_memory_used_mb reported: no memory recommendation"},
			},
		},
		Assumptions: []string{"Monthly figures are the window's list cost × 30."},
	}
	return f
}

// TestWhatIfEndpoints: both reports answer as documented (every answer is
// validated against openapi.json by s.get) and as the golden files say.
func TestWhatIfEndpoints(t *testing.T) {
	s := newServer(t, whatIfReports(), Options{})
	for _, tc := range []struct{ target, golden string }{
		{"/api/v1/reports/cost/compare?from=2026-11-22T12:00:00Z&to=2026-11-23T12:00:00Z&function=checkout-api", "compare.golden.json"},
		{"/api/v1/reports/rightsizing?from=2026-11-22T12:00:00Z&to=2026-11-23T12:00:00Z", "rightsizing.golden.json"},
	} {
		s.checkRequest(t, tc.target, nil)
		rec := s.get(t, tc.target)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != jsonContentType {
			t.Fatalf("GET %s: %d %s", tc.target, rec.Code, rec.Body)
		}
		checkGolden(t, tc.golden, rec.Body.Bytes())
	}
	call := s.fake.lastCall(t)
	from := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	if want := (fakeCall{"Rightsizing", analysis.Range{Tenant: "default", From: from, To: from.Add(24 * time.Hour)}, "", 0}); call != want {
		t.Errorf("call %+v, want %+v", call, want)
	}
}

// TestWhatIfEmpty: a zero report still answers with lists, never null.
func TestWhatIfEmpty(t *testing.T) {
	s := newServer(t, &fakeReports{}, Options{})
	for target, want := range map[string]string{
		"/api/v1/reports/cost/compare": `"items":[]`,
		"/api/v1/reports/rightsizing":  `"items":[]`,
	} {
		rec := s.get(t, target)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) || strings.Contains(rec.Body.String(), "null") {
			t.Errorf("GET %s: %d %s, want 200 with %s", target, rec.Code, rec.Body, want)
		}
	}
}

// TestCompareParameters: the function and window reach the report; bad
// input is a 400 and an unknown function a 404, as documented.
func TestCompareParameters(t *testing.T) {
	now := testNow()
	s := newServer(t, whatIfReports(), Options{})
	rec := s.get(t, "/api/v1/reports/cost/compare?function=image-resize&tenant=acme")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if want := (fakeCall{"Compare", analysis.Range{Tenant: "acme", From: now.Add(-24 * time.Hour), To: now}, "image-resize", 0}); s.fake.lastCall(t) != want {
		t.Errorf("call %+v, want %+v", s.fake.lastCall(t), want)
	}
	for _, tc := range []struct {
		target string
		status int
		want   string
	}{
		{"/api/v1/reports/cost/compare?from=2026-11-23T12:00:00Z&to=2026-11-22T12:00:00Z", http.StatusBadRequest, "to must be after from"},
		{"/api/v1/reports/rightsizing?from=yesterday", http.StatusBadRequest, "from"},
		{"/api/v1/reports/cost/compare?function=" + strings.Repeat("f", 257), http.StatusBadRequest, "function: 257 characters"},
	} {
		calls := s.fake.callCount()
		rec := s.get(t, tc.target)
		if rec.Code != tc.status || !strings.Contains(errorOf(t, rec), tc.want) {
			t.Errorf("GET %s: %d %q, want %d with %q", tc.target, rec.Code, rec.Body, tc.status, tc.want)
		}
		if s.fake.callCount() != calls {
			t.Errorf("GET %s: bad input reached the reports", tc.target)
		}
	}

	for _, tc := range []struct {
		err    error
		status int
	}{
		{fmt.Errorf("analysis: %w: %q", analysis.ErrUnknownFunction, "nope"), http.StatusNotFound},
		{fmt.Errorf("analysis: compare: %w", analysis.ErrUnavailable), http.StatusServiceUnavailable},
		{errors.New("boom"), http.StatusInternalServerError},
	} {
		f := whatIfReports()
		f.err = tc.err
		s := newServer(t, f, Options{})
		if rec := s.get(t, "/api/v1/reports/cost/compare?function=nope"); rec.Code != tc.status {
			t.Errorf("compare with %v: %d, want %d", tc.err, rec.Code, tc.status)
		}
	}
}
