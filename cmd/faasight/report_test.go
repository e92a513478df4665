package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/faasight/faasight/analysis"
)

// costAPI serves a canned cost report (or the FOCUS text) and records the
// query of the last request.
func costAPI(t *testing.T, last *url.Values) *httptest.Server {
	t.Helper()
	rep := analysis.CostReport{
		Currency: "USD", From: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC),
		Catalog: analysis.CatalogRef{Name: "aws-lambda", EffectiveDate: "2025-08-01"}, TotalUSD: 5.83335,
		Billing: "effective", GroupBy: []string{"function", "attr.tenant.id"},
		Items: []analysis.CostItem{
			{Function: "f", Invocations: 3, GBSeconds: 300000, TotalUSD: 3.16667,
				Group:   map[string]string{"function": "f", "attr.tenant.id": "t1"},
				LineUSD: &analysis.LineTotals{Requests: 0.0000006, Compute: 4.83334, FreeTierCredit: -1.6666706}},
			{Function: "g", Invocations: 1, GBSeconds: 500000, TotalUSD: 2.66668,
				Group:   map[string]string{"function": "g", "attr.tenant.id": ""},
				LineUSD: &analysis.LineTotals{Requests: 0.0000002, Compute: 6.6667, FreeTierCredit: -4.0000202}},
		},
		Projection: &analysis.CostProjection{Month: "2026-02", MonthToDateUSD: 2.66668, ProjectedTotalUSD: 111.00049, Basis: "run rate"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*last = r.URL.Query()
		if r.URL.Path != "/api/v1/reports/cost" {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("catalog") == "nope" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid request: catalog: no catalog \"nope\"; valid: aws-lambda"}`))
			return
		}
		if f := r.URL.Query().Get("format"); f == "focus" || f == "csv" {
			_, _ = w.Write([]byte("BilledCost,EffectiveCost\n1,1\n"))
			return
		}
		_ = json.NewEncoder(w).Encode(rep)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func runCost(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newReportCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"cost"}, args...))
	err := cmd.Execute()
	return out.String(), err
}

func TestReportCostTable(t *testing.T) {
	var last url.Values
	srv := costAPI(t, &last)
	out, err := runCost(t, "--api", srv.URL, "--from", "2026-01-31T00:00:00Z", "--to", "2026-02-03T00:00:00Z",
		"--group-by", "function,attr.tenant.id", "--billing", "effective", "--catalog", "aws-lambda")
	if err != nil {
		t.Fatal(err)
	}
	if last.Get("group_by") != "function,attr.tenant.id" || last.Get("billing") != "effective" || last.Get("catalog") != "aws-lambda" ||
		last.Get("from") != "2026-01-31T00:00:00Z" || last.Has("format") {
		t.Errorf("query %v", last)
	}
	for _, want := range []string{
		"FUNCTION  ATTR.TENANT.ID  INVOCATIONS",
		"f         t1              3",
		"g         -               1",
		"-4.000020",
		"total 5.833350 USD (effective billing, catalog aws-lambda",
		"projected 2026-02: 111.000490 USD (month to date 2.666680)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestReportCostFormats(t *testing.T) {
	var last url.Values
	srv := costAPI(t, &last)
	out, err := runCost(t, "--api", srv.URL, "--focus")
	if err != nil || out != "BilledCost,EffectiveCost\n1,1\n" || last.Get("format") != "focus" {
		t.Errorf("--focus: %v %q %v", err, out, last)
	}
	if _, err := runCost(t, "--api", srv.URL, "--focus", "--csv"); err == nil {
		t.Error("--focus --csv: no error")
	}
	if _, err := runCost(t, "--api", srv.URL, "--catalog", "nope"); err == nil || !strings.Contains(err.Error(), `no catalog "nope"; valid: aws-lambda`) {
		t.Errorf("unknown catalog: %v", err)
	}
	out, err = runCost(t, "--api", srv.URL, "--json")
	if err != nil || !strings.Contains(out, `"projected_total_usd": 111.00049`) {
		t.Errorf("--json: %v %s", err, out)
	}
}
