package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/faasight/faasight/analysis"
)

// whatIfAPI serves canned reports and records the last request.
func whatIfAPI(t *testing.T, last *http.Request) *httptest.Server {
	t.Helper()
	t0 := time.Date(2025, 9, 1, 21, 0, 0, 0, time.UTC)
	compare := analysis.CompareReport{
		Currency: "USD", From: t0, To: t0.Add(6 * time.Hour), Billing: "list",
		Scenarios: []analysis.CompareScenario{
			{Key: "aws-lambda/x86_64", Catalog: analysis.CatalogRef{Name: "aws-lambda", EffectiveDate: "2025-08-01", Source: "https://aws.amazon.com/lambda/pricing/"},
				Architecture: "x86_64", TotalUSD: 0.00000395834005, Notes: []string{}},
			{Key: "cloudflare-workers-standard", Catalog: analysis.CatalogRef{Name: "cloudflare-workers-standard", EffectiveDate: "2024-03-01", Source: "https://developers.cloudflare.com/workers/platform/pricing/"},
				TotalUSD: 0.00000896, Notes: []string{"CPU time unknown, assumed equal to wall duration (an upper bound)"}},
		},
		Items: []analysis.CompareItem{{Function: "api", Provider: "aws", Region: "us-east-1", Architecture: "x86_64", MemoryMB: 512, Invocations: 3,
			Costs: []analysis.ScenarioCost{
				{Scenario: "aws-lambda/x86_64", Region: "us-east-1", MemoryMB: 512, BilledDurationMs: 403, RequestUSD: 0.0000006, ComputeUSD: 0.00000335834005, TotalUSD: 0.00000395834005},
				{Scenario: "cloudflare-workers-standard", Region: "global", MemoryMB: 512, BilledDurationMs: 403, RequestUSD: 0.0000009, ComputeUSD: 0.00000806, TotalUSD: 0.00000896, Note: "CPU time unknown"},
			}}},
		Assumptions: []string{"Billing is list."},
	}
	rightsizing := analysis.RightsizingReport{
		Currency: "USD", From: t0, To: t0.Add(6 * time.Hour), Billing: "list", MonthlyFactor: 120,
		Items: []analysis.RightsizingItem{
			{Function: "api", Provider: "aws", Region: "us-east-1", Architecture: "x86_64", MemoryMB: 1024, Invocations: 100, MemorySamples: 100,
				MemoryUsedP99MB: 199, MemoryUsedMaxMB: 200, WindowCostUSD: 0.000186667, MonthlyCostUSD: 0.02240004,
				Memory:             &analysis.MemoryRecommendation{RecommendedMB: 239, MonthlyCostUSD: 0.0070679780859375, MonthlySavingUSD: 0.0153320619140625},
				ArchitectureSwitch: &analysis.ArchitectureRecommendation{From: "x86_64", To: "arm64", MonthlyCostUSD: 0.01840008, MonthlySavingUSD: 0.00399996},
				Notes:              []string{"Lambda CPU scales with memory"}},
			{Function: "legacy", Provider: "aws", Region: "us-east-1", Architecture: "", MemoryMB: 512, Invocations: 10,
				MonthlyCostUSD:     0.00044,
				ArchitectureSwitch: &analysis.ArchitectureRecommendation{From: "x86_64", To: "arm64", MonthlySavingUSD: 0.0000399996},
				Notes:              []string{"no max_memory_used_mb reported: no memory recommendation"}},
		},
		Assumptions: []string{"Monthly = window × 120."},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*last = *r
		var v any
		switch r.URL.Path {
		case "/api/v1/reports/cost/compare":
			v = compare
		case "/api/v1/reports/rightsizing":
			v = rightsizing
		default:
			w.WriteHeader(http.StatusNotFound)
			v = map[string]string{"error": "no endpoint " + r.URL.Path}
		}
		if r.URL.Query().Get("function") == "nope" {
			w.WriteHeader(http.StatusNotFound)
			v = map[string]string{"error": "function not found"}
		}
		_ = json.NewEncoder(w).Encode(v)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// runReport runs one of the two commands on its own, so that the test does
// not depend on how the parent command is wired.
func runReport(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	cmd := newReportCompareCommand()
	if name == "rightsizing" {
		cmd = newReportRightsizingCommand()
	}
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestReportCompareTable(t *testing.T) {
	var last http.Request
	srv := whatIfAPI(t, &last)
	out, err := runReport(t, "compare", "--api", srv.URL, "--tenant", "acme", "--from", "2025-09-01T21:00:00Z", "--to", "2025-09-02T03:00:00Z", "--function", "api")
	if err != nil {
		t.Fatal(err)
	}
	if q := last.URL.Query(); last.URL.Path != "/api/v1/reports/cost/compare" || q.Get("from") != "2025-09-01T21:00:00Z" ||
		q.Get("to") != "2025-09-02T03:00:00Z" || q.Get("function") != "api" || last.Header.Get("X-Faasight-Tenant") != "acme" {
		t.Errorf("request %s %v", last.URL, last.Header)
	}
	want := `What-if, list billing, USD, 2025-09-01T21:00:00Z to 2025-09-02T03:00:00Z

FUNCTION  PROVIDER/REGION  ARCH    MEMORY_MB  INVOCATIONS  AWS-LAMBDA/X86_64  CLOUDFLARE-WORKERS-STANDARD
api       aws/us-east-1    x86_64  512        3            3.958e-06          8.96e-06
TOTAL                                                      3.958e-06          8.96e-06

aws-lambda/x86_64: aws-lambda, prices of 2025-08-01 (https://aws.amazon.com/lambda/pricing/)
cloudflare-workers-standard: cloudflare-workers-standard, prices of 2024-03-01 (https://developers.cloudflare.com/workers/platform/pricing/)
  - CPU time unknown, assumed equal to wall duration (an upper bound)

Assumptions:
  - Billing is list.
`
	if out != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
}

func TestReportRightsizingTable(t *testing.T) {
	var last http.Request
	srv := whatIfAPI(t, &last)
	out, err := runReport(t, "rightsizing", "--api", srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if last.URL.Path != "/api/v1/reports/rightsizing" || last.URL.RawQuery != "" || last.Header.Get("X-Faasight-Tenant") != "" {
		t.Errorf("request %s %v", last.URL, last.Header)
	}
	want := `Right-sizing, list billing, USD, 2025-09-01T21:00:00Z to 2025-09-02T03:00:00Z; monthly = window × 120

FUNCTION  PROVIDER/REGION  ARCH    MEMORY_MB  INVOCATIONS  USED_P99_MB  USED_MAX_MB  MONTHLY_USD  RECOMMENDED_MB  MEMORY_SAVING/MO  ARM64_SAVING/MO
api       aws/us-east-1    x86_64  1024       100          199          200          0.0224       239             0.01533           0.004
legacy    aws/us-east-1            512        10           -            -            0.00044      -               -                 4e-05

api (1024 MB): Lambda CPU scales with memory
legacy (512 MB): no max_memory_used_mb reported: no memory recommendation

Assumptions:
  - Monthly = window × 120.
`
	if out != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
}

func TestReportWhatIfFormats(t *testing.T) {
	var last http.Request
	srv := whatIfAPI(t, &last)
	out, err := runReport(t, "rightsizing", "--api", srv.URL, "--csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "function,provider,region") ||
		lines[1] != "api,aws,us-east-1,x86_64,1024,100,100,199,200,0.000186667,0.02240004,239,0.0153320619140625,0.00399996,Lambda CPU scales with memory" {
		t.Errorf("csv:\n%s", out)
	}
	out, err = runReport(t, "compare", "--api", srv.URL, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep analysis.CompareReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Items) != 1 || rep.Items[0].Costs[0].BilledDurationMs != 403 {
		t.Errorf("json %v: %s", err, out)
	}
	out, err = runReport(t, "compare", "--api", srv.URL, "--csv")
	if err != nil || !strings.Contains(out, "api,aws,us-east-1,x86_64,512,3,cloudflare-workers-standard,global,512,403,0.0000009,0.00000806,0.00000896,CPU time unknown") {
		t.Errorf("csv %v:\n%s", err, out)
	}
	if _, err := runReport(t, "compare", "--api", srv.URL, "--function", "nope"); err == nil || !strings.Contains(err.Error(), "function not found") {
		t.Errorf("unknown function: err = %v", err)
	}
	if _, err := runReport(t, "compare", "--api", srv.URL, "--json", "--csv"); err == nil {
		t.Error("--json --csv accepted")
	}
}
