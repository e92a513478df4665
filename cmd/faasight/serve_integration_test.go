package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faasight/faasight/internal/chtest"
	"github.com/faasight/faasight/loadgen/sample"
)

// TestServeEndToEnd sends invocations with the OpenTelemetry SDK over gRPC
// and over HTTP and checks every number the REST API reports against the
// truth of what was sent.
func TestServeEndToEnd(t *testing.T) {
	srv := chtest.Start(t)
	db := chtest.NewDatabase(t, srv)
	r := startServe(t, chtest.DSN(srv, db), t.TempDir(), nil)

	fns := sample.DefaultFunctions()
	from := time.Now().Add(-2 * time.Hour).Truncate(time.Minute)
	to := from.Add(2 * time.Hour)
	for _, proto := range []string{"grpc", "http"} {
		t.Run(proto, func(t *testing.T) {
			tenant := "e2e-" + proto
			endpoint := map[string]string{"grpc": r.grpc, "http": r.http}[proto]
			invs := sample.Generate(7, fns, 3000, from, 2*time.Hour-time.Minute)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := sample.Send(ctx, sample.Options{Endpoint: endpoint, Protocol: proto, Tenant: tenant}, fns, invs); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 60*time.Second, "all invocations queryable", func() (bool, string) {
				n := r.totalInvocations(t, tenant, from, to)
				return n == uint64(len(invs)), fmt.Sprintf("%d of %d", n, len(invs))
			})
			// Sending the very same spans again — what a retrying exporter
			// does — must not change a single number. Merges are stopped so
			// that the duplicates really sit in the table while we query.
			conn := chtest.Conn(t, srv, db)
			if err := conn.Exec(ctx, "SYSTEM STOP MERGES "+db+".invocations"); err != nil {
				t.Fatal(err)
			}
			defer conn.Exec(context.Background(), "SYSTEM START MERGES "+db+".invocations") //nolint:errcheck
			if err := sample.Send(ctx, sample.Options{Endpoint: endpoint, Protocol: proto, Tenant: tenant}, fns, invs); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 60*time.Second, "duplicates stored", func() (bool, string) {
				n := rawCount(t, conn, db, tenant)
				return n == 2*uint64(len(invs)), fmt.Sprintf("%d rows, want %d", n, 2*len(invs))
			})
			checkReports(t, r, tenant, from, to, fns, invs)
		})
	}
}

func checkReports(t *testing.T, r *running, tenant string, from, to time.Time, fns []sample.Function, invs []sample.Invocation) {
	t.Helper()
	want := truthOf(invs)
	window := fmt.Sprintf("from=%d&to=%d", from.Unix(), to.Unix())

	var fr functionsResponse
	if code, body := r.get(t, "/api/v1/functions?"+window, tenant, &fr); code != http.StatusOK {
		t.Fatalf("functions: %d %s", code, body)
	}
	if len(fr.Functions) != len(fns) {
		t.Fatalf("functions: got %d, want %d", len(fr.Functions), len(fns))
	}
	spec := map[string]sample.Function{}
	for _, f := range fns {
		spec[f.Name] = f
	}
	for _, got := range fr.Functions {
		w, f := want[got.Name], spec[got.Name]
		if w == nil {
			t.Fatalf("unexpected function %q", got.Name)
		}
		if got.Invocations != uint64(w.invocations) || got.Errors != uint64(w.errors) || got.ColdStarts != uint64(w.cold) {
			t.Errorf("%s: invocations/errors/cold = %d/%d/%d, want %d/%d/%d", got.Name,
				got.Invocations, got.Errors, got.ColdStarts, w.invocations, w.errors, w.cold)
		}
		if rate := float64(w.cold) / float64(w.invocations); math.Abs(got.ColdStartRate-rate) > 1e-12 {
			t.Errorf("%s: cold_start_rate = %v, want %v", got.Name, got.ColdStartRate, rate)
		}
		for _, p := range []struct {
			name string
			got  float64
			q    float64
		}{{"p50", got.DurationMs.P50, 0.5}, {"p90", got.DurationMs.P90, 0.9}, {"p95", got.DurationMs.P95, 0.95}, {"p99", got.DurationMs.P99, 0.99}} {
			if exact := nearestRank(w.durations, p.q); !within(p.got, exact, 0.01) {
				t.Errorf("%s: %s = %v ms, exact nearest-rank %v ms", got.Name, p.name, p.got, exact)
			}
		}
		wantArch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[f.Architecture]
		if got.Architecture != wantArch || got.MemoryMB != uint32(f.MemoryMB) || got.Region != f.Region || got.Provider != f.Provider {
			t.Errorf("%s: arch/memory/region/provider = %s/%d/%s/%s, want %s/%d/%s/%s", got.Name,
				got.Architecture, got.MemoryMB, got.Region, got.Provider, wantArch, f.MemoryMB, f.Region, f.Provider)
		}
		wantCost := 0.0
		if f.Provider == "aws" {
			wantCost = awsCost(w.invocations, w.billedMs, f.MemoryMB, wantArch)
		}
		if math.Abs(got.CostUSD-wantCost) > 1e-9 {
			t.Errorf("%s: cost_usd = %.12f, want %.12f (hand-computed)", got.Name, got.CostUSD, wantCost)
		}
	}

	// Cold starts of one function, with a series that adds up.
	var cs struct {
		Invocations    uint64                          `json:"invocations"`
		ColdStarts     uint64                          `json:"cold_starts"`
		ColdStartRate  float64                         `json:"cold_start_rate"`
		ColdDurationMs struct{ P50, P90, P99 float64 } `json:"cold_duration_ms"`
		WarmDurationMs struct{ P50, P90, P99 float64 } `json:"warm_duration_ms"`
		InitDurationMs struct{ P50, P90, P99 float64 } `json:"init_duration_ms"`
		Series         []struct {
			Invocations uint64 `json:"invocations"`
			ColdStarts  uint64 `json:"cold_starts"`
		} `json:"series"`
	}
	if code, body := r.get(t, "/api/v1/functions/checkout-api/coldstarts?step=10m&"+window, tenant, &cs); code != http.StatusOK {
		t.Fatalf("coldstarts: %d %s", code, body)
	}
	w := want["checkout-api"]
	if cs.Invocations != uint64(w.invocations) || cs.ColdStarts != uint64(w.cold) {
		t.Errorf("coldstarts: %d/%d, want %d/%d", cs.Invocations, cs.ColdStarts, w.invocations, w.cold)
	}
	if len(cs.Series) != 12 {
		t.Errorf("coldstarts: %d series buckets over 2h at 10m, want 12", len(cs.Series))
	}
	var sumInv, sumCold uint64
	for _, b := range cs.Series {
		sumInv += b.Invocations
		sumCold += b.ColdStarts
	}
	if sumInv != cs.Invocations || sumCold != cs.ColdStarts {
		t.Errorf("coldstarts series sums %d/%d, totals %d/%d", sumInv, sumCold, cs.Invocations, cs.ColdStarts)
	}
	for _, c := range []struct {
		name string
		got  float64
		s    []time.Duration
		q    float64
	}{
		{"cold p50", cs.ColdDurationMs.P50, w.coldDur, 0.5}, {"cold p99", cs.ColdDurationMs.P99, w.coldDur, 0.99},
		{"warm p50", cs.WarmDurationMs.P50, w.warmDur, 0.5}, {"warm p90", cs.WarmDurationMs.P90, w.warmDur, 0.9},
		{"init p50", cs.InitDurationMs.P50, w.initDurations, 0.5}, {"init p99", cs.InitDurationMs.P99, w.initDurations, 0.99},
	} {
		if exact := nearestRank(c.s, c.q); !within(c.got, exact, 0.01) {
			t.Errorf("coldstarts %s = %v, exact %v", c.name, c.got, exact)
		}
	}

	// Latency with max.
	var lat struct {
		DurationMs struct{ P50, P99, Max float64 } `json:"duration_ms"`
		Series     []any                           `json:"series"`
	}
	if code, body := r.get(t, "/api/v1/functions/image-resize/latency?step=1h&"+window, tenant, &lat); code != http.StatusOK {
		t.Fatalf("latency: %d %s", code, body)
	}
	wi := want["image-resize"]
	if got, exact := lat.DurationMs.Max, float64(wi.durations[len(wi.durations)-1])/1e6; got != exact {
		t.Errorf("latency max = %v, want %v", got, exact)
	}
	if len(lat.Series) != 2 {
		t.Errorf("latency: %d buckets over 2h at 1h, want 2", len(lat.Series))
	}

	// Cost report as CSV: AWS functions priced by hand.
	code, body := r.get(t, "/api/v1/reports/cost?format=csv&"+window, tenant, nil)
	if code != http.StatusOK {
		t.Fatalf("cost csv: %d %s", code, body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("cost csv: %v", err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	seen := 0
	for _, row := range rows[1:] {
		f := spec[row[col["function"]]]
		if f.Provider != "aws" {
			if !strings.Contains(row[col["note"]], f.Provider) {
				t.Errorf("%s: unpriced row without a note saying why: %v", f.Name, row)
			}
			continue
		}
		seen++
		tw := want[f.Name]
		arch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[f.Architecture]
		billed, _ := strconv.ParseInt(row[col["billed_duration_ms"]], 10, 64)
		total, _ := strconv.ParseFloat(row[col["total_usd"]], 64)
		if billed != tw.billedMs {
			t.Errorf("%s: billed_duration_ms = %d, want %d", f.Name, billed, tw.billedMs)
		}
		if want := awsCost(tw.invocations, tw.billedMs, f.MemoryMB, arch); math.Abs(total-want) > 1e-9 {
			t.Errorf("%s: total_usd = %.12f, want %.12f", f.Name, total, want)
		}
	}
	if seen != 2 {
		t.Errorf("cost csv: %d AWS rows, want 2:\n%s", seen, body)
	}

	if code, _ := r.get(t, "/api/v1/functions/no-such-function/latency?"+window, tenant, nil); code != http.StatusNotFound {
		t.Errorf("unknown function: status %d, want 404", code)
	}
	if code, _ := r.get(t, "/api/v1/functions?from=yesterday", tenant, nil); code != http.StatusBadRequest {
		t.Errorf("bad from: status %d, want 400", code)
	}
}

// TestServeEmbedded: without --clickhouse, serve runs its own ClickHouse in
// --data-dir, and what it stored is there after a restart.
func TestServeEmbedded(t *testing.T) {
	chtest.Require(t)
	dataDir := t.TempDir()
	port := func(o *serveOptions) {
		addr := freeAddr(t)
		p, _ := strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:])
		o.chTCPPort = p
	}
	r := startServe(t, "", dataDir, port)
	fns := invocationsOnly()
	from := time.Now().Add(-time.Hour).Truncate(time.Second)
	invs := sample.Generate(9, fns, 300, from, 30*time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := sample.Send(ctx, sample.Options{Endpoint: r.grpc}, fns, invs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "invocations stored", func() (bool, string) {
		n := r.totalInvocations(t, "default", from, from.Add(time.Hour))
		return n == uint64(len(invs)), fmt.Sprintf("%d of %d", n, len(invs))
	})
	r.stop(t)

	again := startServe(t, "", dataDir, port)
	if n := again.totalInvocations(t, "default", from, from.Add(time.Hour)); n != uint64(len(invs)) {
		t.Fatalf("after restart: %d invocations, want %d", n, len(invs))
	}
}
