package analysis_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/faasight/faasight/analysis"
	"github.com/faasight/faasight/analysis/pricing"
	"github.com/faasight/faasight/ingest"
)

// monthBoundary is a mixed workload across January and February 2026 on
// AWS Lambda (us-east-1, one account) whose effective price is worked out
// by hand below, with the catalog's prices: requests $0.20 per million;
// x86_64 GB-s $0.0000166667 up to 6 billion a month, then $0.0000150000;
// arm64 GB-s $0.0000133334; free each month 1M requests and 400,000 GB-s.
//
//	prior   Jan 10  f x86_64 10240 MB  1 inv  599,990,000,000 ms = 5,999,900,000 GB-s
//	window  Jan 31  f x86_64 10240 MB  2 inv   20,000,000 ms =   200,000 GB-s  (tenant.id t1, t2: span attributes)
//	        Feb 01  f x86_64 10240 MB  1 inv   10,000,000 ms =   100,000 GB-s  (tenant.id t1: resource attribute)
//	        Feb 02  g arm64   2048 MB  1 inv  250,000,000 ms =   500,000 GB-s  (no span)
//
// January: the prior usage took the free GB-s and stops 100,000 GB-s short
// of the tier boundary, so the window pays 100,000 × 0.0000166667 +
// 100,000 × 0.0000150000 = 1.66667 + 1.5 = 3.16667; its 2 requests are free.
// February: f's 100,000 GB-s are free (credit 1.66667); g gets the other
// 300,000 free GB-s and pays 200,000 × 0.0000133334 = 2.66668. Total 5.83335.
// At list prices: 300,000 × 0.0000166667 + 500,000 × 0.0000133334 + 4
// requests × 0.0000002 = 5.00001 + 6.6667 + 0.0000008 = 11.6667108.
var monthBoundary = struct {
	from, to time.Time
	prior    time.Time
}{
	from:  time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC),
	to:    time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC),
	prior: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC),
}

func writeMonthBoundary(t *testing.T, e *env, tenant string) {
	t.Helper()
	n := 0
	inv := func(at time.Time, function, arch string, mb uint32, billedMs uint64) ingest.Invocation {
		n++
		return ingest.Invocation{
			Tenant: tenant, StartNs: uint64(at.UnixNano()), DurationNs: 1_000_000, Function: function, Version: "1",
			Provider: "aws", Platform: "aws_lambda", Region: "us-east-1", Account: "111122223333", Runtime: "python3.12",
			Architecture: arch, MemoryMB: mb, Trigger: "http",
			TraceID: fmt.Sprintf("%032x", n), SpanID: fmt.Sprintf("%016x", n), InvocationID: fmt.Sprint(n),
			BilledDurationMs: billedMs,
		}
	}
	jan31 := time.Date(2026, 1, 31, 8, 0, 0, 0, time.UTC)
	invs := []ingest.Invocation{
		inv(monthBoundary.prior, "f", "x86_64", 10240, 599_990_000_000),
		inv(jan31, "f", "x86_64", 10240, 10_000_000),
		inv(jan31.Add(time.Hour), "f", "x86_64", 10240, 10_000_000),
		inv(time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC), "f", "x86_64", 10240, 10_000_000),
		inv(time.Date(2026, 2, 2, 8, 0, 0, 0, time.UTC), "g", "arm64", 2048, 250_000_000),
	}
	span := func(i int, attrs, resource ingest.Attributes) ingest.Span {
		v := invs[i]
		return ingest.Span{Tenant: tenant, StartNs: v.StartNs, DurationNs: v.DurationNs, TraceID: v.TraceID, SpanID: v.SpanID,
			Name: v.Function, Kind: "SERVER", StatusCode: "OK", Service: v.Function, Function: v.Function,
			Attrs: attrs, ResourceAttrs: resource}
	}
	tenantAttr := func(v string) ingest.Attributes {
		return ingest.Attributes{Keys: []string{"http.route", "tenant.id"}, Values: []string{"/x", v}}
	}
	spans := []ingest.Span{
		span(1, tenantAttr("t1"), ingest.Attributes{Keys: []string{"tenant.id"}, Values: []string{"resource-loses"}}),
		span(2, tenantAttr("t2"), ingest.Attributes{}),
		span(3, ingest.Attributes{}, ingest.Attributes{Keys: []string{"faas.name", "tenant.id"}, Values: []string{"f", "t1"}}),
	}
	if err := e.writer.Write(context.Background(), invs, spans); err != nil {
		t.Fatal(err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func itemTotals(rep analysis.CostReport, key string) map[string]float64 {
	out := map[string]float64{}
	for _, it := range rep.Items {
		out[it.Group[key]] += it.TotalUSD
	}
	return out
}

func TestCostReportEffectiveAcrossMonthAndTier(t *testing.T) {
	e := newEnv(t)
	writeMonthBoundary(t, e, "acme")
	ctx := context.Background()
	r := analysis.Range{Tenant: "acme", From: monthBoundary.from, To: monthBoundary.to}

	tests := []struct {
		name      string
		q         analysis.CostQuery
		key       string
		want      map[string]float64
		wantTotal float64
		// projection of February: see TestCostReportProjection's comment.
		wantProjected float64
	}{
		{
			name: "effective by function", key: "function",
			q:    analysis.CostQuery{GroupBy: []string{"function"}, Billing: pricing.BillingEffective},
			want: map[string]float64{"f": 3.16667, "g": 2.66668}, wantTotal: 5.83335, wantProjected: 111.00049,
		},
		{
			name: "effective by month", key: "month",
			q:    analysis.CostQuery{GroupBy: []string{"month"}, Billing: pricing.BillingEffective},
			want: map[string]float64{"2026-01": 3.16667, "2026-02": 2.66668}, wantTotal: 5.83335, wantProjected: 111.00049,
		},
		{
			// January's 3.16667 shared by GB-s: t1 and t2 used 100,000 each.
			// f's February is free; g has no span and no tenant.
			name: "effective by tenant attribute", key: "attr.tenant.id",
			q:    analysis.CostQuery{GroupBy: []string{"attr.tenant.id"}, Billing: pricing.BillingEffective},
			want: map[string]float64{"t1": 1.583335, "t2": 1.583335, "": 2.66668}, wantTotal: 5.83335, wantProjected: 111.00049,
		},
		{
			name: "list by function", key: "function",
			q:    analysis.CostQuery{GroupBy: []string{"function"}},
			want: map[string]float64{"f": 5.0000106, "g": 6.6667002}, wantTotal: 11.6667108,
			// February at list: 1.66667 + 6.6667 + 2 requests, and 13 times
			// that for the 26 days left: 14 × 8.3333704 = 116.6671856.
			wantProjected: 116.6671856,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := e.reports.CostReport(ctx, r, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			got := itemTotals(rep, tc.key)
			if len(got) != len(tc.want) {
				t.Errorf("groups %v, want %v", got, tc.want)
			}
			for k, w := range tc.want {
				if !near(got[k], w) {
					t.Errorf("%s %q = %v, want %v", tc.key, k, got[k], w)
				}
			}
			if !near(rep.TotalUSD, tc.wantTotal) {
				t.Errorf("total %v, want %v", rep.TotalUSD, tc.wantTotal)
			}
			if rep.Projection == nil || rep.Projection.Month != "2026-02" || !near(rep.Projection.ProjectedTotalUSD, tc.wantProjected) || rep.Projection.Basis == "" {
				t.Errorf("projection %+v, want 2026-02 %v", rep.Projection, tc.wantProjected)
			}
			if rep.Billing != string(cmpBilling(tc.q.Billing)) {
				t.Errorf("billing %q", rep.Billing)
			}
			var lines float64
			for _, it := range rep.Items {
				for _, l := range it.Lines {
					lines += l.USD
				}
			}
			if !near(lines, tc.wantTotal) {
				t.Errorf("lines add up to %v, want %v", lines, tc.wantTotal)
			}
		})
	}

	// The line items of f under effective billing, by hand: January's
	// compute is the tier mix, February's is credited back.
	rep, err := e.reports.CostReport(ctx, r, analysis.CostQuery{GroupBy: []string{"function", "month"}, Billing: pricing.BillingEffective})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]analysis.LineTotals{
		"f 2026-01": {Requests: 0.0000004, Compute: 3.16667, FreeTierCredit: -0.0000004},
		"f 2026-02": {Requests: 0.0000002, Compute: 1.66667, FreeTierCredit: -1.6666702},
		"g 2026-02": {Requests: 0.0000002, Compute: 6.6667, FreeTierCredit: -4.0000202},
	}
	if len(rep.Items) != len(want) {
		t.Fatalf("%d items, want %d: %+v", len(rep.Items), len(want), rep.Items)
	}
	for _, it := range rep.Items {
		k := it.Group["function"] + " " + it.Group["month"]
		w, ok := want[k]
		if !ok || it.LineUSD == nil {
			t.Errorf("unexpected item %q", k)
			continue
		}
		g := *it.LineUSD
		if !near(g.Requests, w.Requests) || !near(g.Compute, w.Compute) || !near(g.FreeTierCredit, w.FreeTierCredit) {
			t.Errorf("%s lines %+v, want %+v", k, g, w)
		}
		if it.Function != it.Group["function"] || it.Provider != "aws" || it.Region != "us-east-1" {
			t.Errorf("%s: legacy fields %q %q %q", k, it.Function, it.Provider, it.Region)
		}
	}
}

func cmpBilling(b pricing.Billing) pricing.Billing {
	if b == "" {
		return pricing.BillingList
	}
	return b
}

// TestCostReportMidMonthProjection: a window inside a month. Effective
// billing starts it at the month-to-date position, and the projection adds
// the month before the window.
func TestCostReportMidMonthProjection(t *testing.T) {
	e := newEnv(t)
	writeMonthBoundary(t, e, "acme")
	// Only January 31: the prior usage (Jan 10) is before the window.
	r := analysis.Range{Tenant: "acme", From: monthBoundary.from, To: monthBoundary.from.Add(24 * time.Hour)}
	rep, err := e.reports.CostReport(context.Background(), r, analysis.CostQuery{Billing: pricing.BillingEffective})
	if err != nil {
		t.Fatal(err)
	}
	if !near(rep.TotalUSD, 3.16667) {
		t.Errorf("total %v, want 3.16667 (the window at its month-to-date tier position)", rep.TotalUSD)
	}
	// The window is the month's last day: nothing is left to extrapolate,
	// and the month to date is the prior 5,999,900,000 GB-s (400,000 free)
	// + the window: (5,999,500,000 + 100,000) × 0.0000166667 + 100,000 ×
	// 0.000015 = 99,993.66667 + 1.5 … computed exactly below.
	wantMTD := 5_999_600_000*0.0000166667 + 100_000*0.000015
	if p := rep.Projection; p == nil || p.Month != "2026-01" || math.Abs(p.ProjectedTotalUSD-wantMTD) > 1e-6 || p.ProjectedTotalUSD != p.MonthToDateUSD {
		t.Errorf("projection %+v, want January %v", rep.Projection, wantMTD)
	}
	if len(rep.GroupBy) != len(analysis.DefaultGroupBy) || len(rep.Items) != 1 || rep.Items[0].MemoryMB != 10240 {
		t.Errorf("default grouping: %v, %+v", rep.GroupBy, rep.Items)
	}
}

func TestCostReportInvalid(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := analysis.Range{Tenant: "acme", From: monthBoundary.from, To: monthBoundary.to}
	for _, tc := range []struct {
		q    analysis.CostQuery
		want string
	}{
		{analysis.CostQuery{Catalog: "nope"}, `catalog: no catalog "nope"; valid: aws-lambda, `},
		{analysis.CostQuery{Billing: "gross"}, `billing "gross" is not list or effective`},
		{analysis.CostQuery{GroupBy: []string{"attr.x'; DROP TABLE spans --"}}, "is not attr.<key>"},
		{analysis.CostQuery{GroupBy: []string{"colour"}}, `"colour" is not a group key`},
	} {
		_, err := e.reports.CostReport(ctx, r, tc.q)
		if !errors.Is(err, analysis.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want ErrInvalid with %q", tc.q, err, tc.want)
		}
	}
	// Another catalog prices the same usage (here: not at all, with a note).
	writeMonthBoundary(t, e, "acme")
	rep, err := e.reports.CostReport(ctx, r, analysis.CostQuery{Catalog: "cloudflare-workers-standard", GroupBy: []string{"function"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Catalog.Name != "cloudflare-workers-standard" || rep.TotalUSD != 0 || len(rep.Items) != 2 || rep.Items[0].Note == "" {
		t.Errorf("cloudflare report %+v", rep)
	}
}

// TestCostReportRoundsPerInvocation: a catalog's rounding applies to every
// invocation before they are summed. By hand: Google, 3 × 260 ms + 2 ×
// 30 ms bill 3 × 300 + 2 × 100 = 1,100 ms (840 ms unrounded); at 512 MB
// and its default 0.333 vCPU, 1.1 s × 0.333 × 0.000024 = 0.0000087912,
// 1.1 s × 0.5 GiB × 0.0000025 = 0.000001375, 5 requests × 0.40/1e6 =
// 0.000002. Azure Consumption, 30 ms + 250 ms at 256 MB bill 100 + 250 =
// 350 ms (a floor over the sum would give 280): 0.35 s × 0.25 GB ×
// 0.000016 = 0.0000014, + 2 × 0.20/1e6. Azure Flex bills instance
// activity periods: four 200 ms runs on instance w-1 starting at 100, 300,
// 500, 700 ms are one period of 800 ms → 1,000 ms, and a run without an
// instance id another 1,000 ms: 2 s × 2 GB × 0.000026 = 0.000104, + 5 ×
// 0.40/1e6 (per execution it would be 5,000 ms).
func TestCostReportRoundsPerInvocation(t *testing.T) {
	e := newEnv(t)
	var invs []ingest.Invocation
	for i, ms := range []uint64{260, 260, 260, 30, 30} {
		invs = append(invs, inv("gfn", "gcp", "us-central1", "x86_64", 512, i, ms*1_000_000))
	}
	invs = append(invs, inv("afn", "azure", "eastus", "x86_64", 256, 10, 30_000_000),
		inv("afn", "azure", "eastus", "x86_64", 256, 11, 250_000_000))
	for k := range 4 {
		v := inv("flexfn", "azure", "eastus", "x86_64", 2048, 100+200*k, 200_000_000)
		v.Instance = "w-1"
		invs = append(invs, v)
	}
	invs = append(invs, inv("flexfn", "azure", "eastus", "x86_64", 2048, 5000, 200_000_000))
	e.write(t, invs, 10)
	ctx := context.Background()
	r := analysis.Range{Tenant: tenant, From: from, To: to}
	for _, tc := range []struct {
		catalog, function string
		groupBy           []string
		billedMs          uint64
		total             float64
	}{
		{"gcp-functions-gen2", "gfn", nil, 1100, 0.0000087912 + 0.000001375 + 0.000002},
		{"azure-functions-consumption", "afn", nil, 350, 0.0000014 + 0.0000004},
		{"azure-functions-flex", "flexfn", nil, 2000, 0.000104 + 0.000002},
		// Grouped by an attribute the rows stay per execution, an upper bound.
		{"azure-functions-flex", "flexfn", []string{"attr.tenant.id"}, 5000, 0.00026 + 0.000002},
	} {
		rep, err := e.reports.CostReport(ctx, r, analysis.CostQuery{Catalog: tc.catalog, GroupBy: append([]string{"function"}, tc.groupBy...)})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, it := range rep.Items {
			if it.Function != tc.function {
				continue
			}
			found = true
			if it.BilledDurationMs != tc.billedMs {
				t.Errorf("%s on %s: %d billed ms, want %d", it.Function, tc.catalog, it.BilledDurationMs, tc.billedMs)
			}
			closeTo(t, tc.function+" on "+tc.catalog, it.TotalUSD, tc.total)
		}
		if !found {
			t.Errorf("%s: no item for %s in %+v", tc.catalog, tc.function, rep.Items)
		}
	}
}
