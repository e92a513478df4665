package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/faasight/faasight/analysis"
)

// CostReport answers the canned cost report shaped as q asks: the group
// keys an item's fields give are filled in, the month from the window.
func (f *fakeReports) CostReport(_ context.Context, r analysis.Range, q analysis.CostQuery) (analysis.CostReport, error) {
	if err := f.record("CostReport", r, "", 0); err != nil {
		return analysis.CostReport{}, err
	}
	f.mu.Lock()
	f.costQuery = q
	f.mu.Unlock()
	rep := f.cost
	if rep.Billing == "" {
		rep.Billing = string(q.Billing)
	}
	if rep.GroupBy == nil {
		rep.GroupBy = q.GroupBy
	}
	rep.Items = slices.Clone(rep.Items)
	for i, it := range rep.Items {
		if it.Group != nil {
			continue
		}
		g := map[string]string{}
		for _, k := range rep.GroupBy {
			switch k {
			case "function":
				g[k] = it.Function
			case "provider":
				g[k] = it.Provider
			case "region":
				g[k] = it.Region
			case "architecture":
				g[k] = it.Architecture
			case "memory":
				g[k] = strconv.FormatUint(uint64(it.MemoryMB), 10)
			case "month":
				g[k] = rep.From.UTC().Format("2006-01")
			default:
				g[k] = ""
			}
		}
		rep.Items[i].Group = g
	}
	return rep, nil
}

// effectiveCost is a report as analysis answers billing=effective grouped
// by function and month: line items with a credit, and a projection.
func effectiveCost() *fakeReports {
	f := sampleReports()
	f.cost.Billing = "effective"
	f.cost.GroupBy = []string{"function", "month"}
	f.cost.TotalUSD = 1.5
	f.cost.LineUSD = &analysis.LineTotals{Requests: 0.4, Compute: 3.1, FreeTierCredit: -2}
	f.cost.Projection = &analysis.CostProjection{Month: "2026-11", MonthToDateUSD: 1.5, ProjectedTotalUSD: 6.25,
		Basis: "run rate: the usage from 2026-11-22T12:00:00Z to 2026-11-23T12:00:00Z scaled linearly"}
	f.cost.Notes = []string{"billing=effective: tiers and free tiers apply per account and calendar month"}
	f.cost.Items = []analysis.CostItem{
		{
			Function: "checkout-api", Provider: "aws", Region: "us-east-1", Architecture: "x86_64", MemoryMB: 512,
			Invocations: 2_000_000, BilledDurationMs: 186_000_000, GBSeconds: 93_000,
			RequestUSD: 0.4, ComputeUSD: 3.1, TotalUSD: 1.5,
			Group: map[string]string{"function": "checkout-api", "month": "2026-11"},
			Lines: []analysis.CostLine{
				{Line: "requests", Meter: "requests", Region: "us-east-1", Unit: "request", Quantity: 2_000_000, ListUSD: 0.4, USD: 0.4},
				{Line: "compute", Meter: "duration.x86_64", Region: "us-east-1", Unit: "GB-second", Quantity: 93_000, ListUSD: 1.5500031, USD: 3.1},
				{Line: "free_tier_credit", Meter: "requests", Region: "us-east-1", Unit: "request", Quantity: 1_000_000, ListUSD: 0, USD: -0.2},
				{Line: "free_tier_credit", Meter: "duration.x86_64", Region: "us-east-1", Unit: "GB-second", Quantity: 93_000, ListUSD: 0, USD: -1.8},
			},
			LineUSD: &analysis.LineTotals{Requests: 0.4, Compute: 3.1, FreeTierCredit: -2},
		},
		{
			Function: "tenant-x", Invocations: 3, Note: "no aws-lambda price for provider gcp",
			Group:   map[string]string{"function": "tenant-x", "month": "2026-11"},
			LineUSD: &analysis.LineTotals{},
		},
	}
	return f
}

func TestCostReportParameters(t *testing.T) {
	window := "from=2026-11-22T12:00:00Z&to=2026-11-23T12:00:00Z"
	tests := []struct {
		query string
		want  analysis.CostQuery
	}{
		{"", analysis.CostQuery{GroupBy: analysis.DefaultGroupBy, Billing: "list", Catalog: "aws-lambda"}},
		{"group_by=function,attr.tenant.id,day&billing=effective&catalog=gcp-functions-gen2",
			analysis.CostQuery{GroupBy: []string{"function", "attr.tenant.id", "day"}, Billing: "effective", Catalog: "gcp-functions-gen2"}},
		// FOCUS rows lie in one billing period: month is added.
		{"group_by=region&format=focus", analysis.CostQuery{GroupBy: []string{"region", "month"}, Billing: "list", Catalog: "aws-lambda"}},
	}
	for _, tc := range tests {
		s := newServer(t, sampleReports(), Options{})
		target := "/api/v1/reports/cost?" + window + "&" + tc.query
		s.checkRequest(t, target, nil)
		if rec := s.get(t, target); rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.query, rec.Code, rec.Body)
		}
		s.fake.mu.Lock()
		got := s.fake.costQuery
		s.fake.mu.Unlock()
		if !slices.Equal(got.GroupBy, tc.want.GroupBy) || got.Billing != tc.want.Billing || got.Catalog != tc.want.Catalog {
			t.Errorf("%s: query %+v, want %+v", tc.query, got, tc.want)
		}
	}
}

func TestCostReportBadParameters(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		{"group_by=colour", `group_by: "colour" is not a group key; accepted: function, version, region, architecture, memory, trigger, day, month, provider, account, attr.<key>`},
		{"group_by=attr.a%20b", `group_by: "attr.a b" is not attr.<key>`},
		{"group_by=attr.a,attr.b,attr.c,attr.d,attr.e", "group_by: 5 attributes, at most 4"},
		{"billing=net", `billing: "net" is not supported; accepted values: list, effective`},
		{"format=xlsx", `format: "xlsx" is not supported; accepted values: json, csv, focus`},
	} {
		s := newServer(t, sampleReports(), Options{})
		rec := s.get(t, "/api/v1/reports/cost?"+tc.query)
		if rec.Code != http.StatusBadRequest || !strings.HasPrefix(errorOf(t, rec), tc.want) {
			t.Errorf("%s: %d %s, want 400 %q", tc.query, rec.Code, rec.Body, tc.want)
		}
		if s.fake.callCount() != 0 {
			t.Errorf("%s: the reports were asked despite bad input", tc.query)
		}
	}
	// An unknown catalog is analysis' to judge (it knows the catalogs):
	// ErrInvalid is a 400 with its message.
	f := sampleReports()
	f.err = analysis.ErrInvalid
	s := newServer(t, f, Options{})
	if rec := s.get(t, "/api/v1/reports/cost?catalog=nope"); rec.Code != http.StatusBadRequest {
		t.Errorf("unknown catalog: %d", rec.Code)
	}
}

// TestCostReportFormats: effective billing as JSON (validated against the
// document), CSV and FOCUS, each a golden file; the CSVs parse back.
func TestCostReportFormats(t *testing.T) {
	window := "from=2026-11-22T12:00:00Z&to=2026-11-23T12:00:00Z&billing=effective&group_by=function,month"
	for _, tc := range []struct{ format, golden string }{
		{"json", "cost_effective.golden.json"},
		{"csv", "cost_effective.golden.csv"},
		{"focus", "cost_focus.golden.csv"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			s := newServer(t, effectiveCost(), Options{})
			rec := s.get(t, "/api/v1/reports/cost?"+window+"&format="+tc.format)
			if rec.Code != http.StatusOK {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			body := rec.Body.Bytes()
			if tc.format == "json" {
				var buf bytes.Buffer
				if err := json.Indent(&buf, body, "", "  "); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, tc.golden, append(buf.Bytes(), '\n'))
				return
			}
			checkGolden(t, tc.golden, body)
			rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if tc.format == "focus" {
				// One row per line, and an unpriced item's row; the
				// billed costs add up to the report's total.
				if len(rows) != 1+4+1 || !slices.Equal(rows[0], focusColumns) {
					t.Fatalf("%d rows, header %v", len(rows), rows[0])
				}
				sum := 0.0
				for _, r := range rows[1:] {
					v, err := strconv.ParseFloat(r[0], 64)
					if err != nil {
						t.Fatal(err)
					}
					sum += v
				}
				if d := sum - 1.5; d > 1e-9 || d < -1e-9 {
					t.Errorf("BilledCost adds up to %v, want 1.5", sum)
				}
				if rows[3][9] != "Credit" || rows[1][15] != "AWS" || rows[1][28] != "aws-lambda:requests" {
					t.Errorf("rows %v", rows[1:4])
				}
				if got := rec.Header().Get("Content-Disposition"); got != `attachment; filename="faasight-focus-1795348800-1795435200.csv"` {
					t.Errorf("Content-Disposition %q", got)
				}
			}
		})
	}
}
