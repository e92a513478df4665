package analysis_test

import (
	"cmp"
	"context"
	"errors"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faasight/faasight/analysis"
	"github.com/faasight/faasight/ingest"
)

// TestReportsMatchGroundTruth writes a generated workload — twice, in
// different batches, as a retrying exporter would — and compares every
// report with the truth computed from the generated records in plain Go.
func TestReportsMatchGroundTruth(t *testing.T) {
	e := newEnv(t)
	e.stopMerges(t) // so that the duplicates are still there when the reports run
	invs := generate(1, tenant, fixtureFunctions)
	// Another tenant with a function of the same name must not leak in.
	other := generate(2, "other-tenant", fixtureFunctions[:1])
	e.write(t, append(slices.Clone(invs), other...), 700)
	// The retry: two thirds of the rows again, batched differently. Not all
	// of them, because duplicating every sample leaves nearest-rank
	// percentiles unchanged and would hide a missing FINAL.
	e.write(t, invs[:len(invs)*2/3], 1000)

	ctx := context.Background()
	r := analysis.Range{Tenant: tenant, From: from, To: to}
	inWin := 0
	for _, inv := range invs {
		if inWindow(inv, tenant, from, to) {
			inWin++
		}
	}
	t.Logf("%d invocations generated for %s, %d in the window; %d written twice", len(invs), tenant, inWin, len(invs)*2/3)

	costs := trueCosts(invs, tenant, from, to)

	t.Run("Cost", func(t *testing.T) {
		rep, err := e.reports.Cost(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Currency != "USD" || rep.Catalog.Name != "aws-lambda" || rep.Catalog.EffectiveDate != "2025-10-01" {
			t.Errorf("header: %+v %+v", rep.Currency, rep.Catalog)
		}
		if len(rep.Items) != len(costs) {
			t.Fatalf("%d items, want %d", len(rep.Items), len(costs))
		}
		if !slices.IsSortedFunc(rep.Items, func(a, b analysis.CostItem) int {
			return cmp.Or(cmp.Compare(a.Function, b.Function), cmp.Compare(a.Architecture, b.Architecture), cmp.Compare(a.MemoryMB, b.MemoryMB))
		}) {
			t.Errorf("items not sorted by function, architecture, memory")
		}
		total := new(big.Rat)
		for _, it := range rep.Items {
			want, ok := costs[costKey{it.Function, it.Provider, it.Region, it.Architecture, it.MemoryMB}]
			if !ok {
				t.Errorf("unexpected item %+v", it)
				continue
			}
			total.Add(total, want.total())
			if it.Invocations != want.invocations || it.BilledDurationMs != want.billedMs {
				t.Errorf("%s/%s/%d: %d invocations, %d billed ms; want %d, %d",
					it.Function, it.Architecture, it.MemoryMB, it.Invocations, it.BilledDurationMs, want.invocations, want.billedMs)
			}
			for _, f := range []struct {
				name      string
				got, want float64
			}{
				{"gb_seconds", it.GBSeconds, f64(want.gbs)},
				{"request_usd", it.RequestUSD, f64(want.request)},
				{"compute_usd", it.ComputeUSD, f64(want.compute)},
				{"total_usd", it.TotalUSD, f64(want.total())},
			} {
				if !closeUSD(f.got, f.want) {
					t.Errorf("%s/%s/%d: %s = %.12f, want %.12f", it.Function, it.Architecture, it.MemoryMB, f.name, f.got, f.want)
				}
			}
			switch {
			case !want.priced && !strings.Contains(it.Note, "no aws-lambda price for provider gcp"):
				t.Errorf("%s: note %q, want it to say the provider is not priced", it.Function, it.Note)
			case it.Architecture == "" && !strings.Contains(it.Note, "x86_64"):
				t.Errorf("%s: note %q, want it to say x86_64 was assumed", it.Function, it.Note)
			case want.priced && it.Architecture != "" && it.Note != "":
				t.Errorf("%s: unexpected note %q", it.Function, it.Note)
			}
			t.Logf("%-15s %-6s %4d MB: %5d inv, %9d billed ms, %10.4f GB-s, $%.9f", it.Function, it.Architecture, it.MemoryMB,
				it.Invocations, it.BilledDurationMs, it.GBSeconds, it.TotalUSD)
		}
		if want := f64(total); !closeUSD(rep.TotalUSD, want) {
			t.Errorf("total %.12f, want %.12f", rep.TotalUSD, want)
		}
		t.Logf("total $%.9f", rep.TotalUSD)
	})

	t.Run("Functions", func(t *testing.T) {
		got, err := e.reports.Functions(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		var want []analysis.FunctionSummary
		for _, spec := range fixtureFunctions { // sorted by name below
			g := group(invs, tenant, spec.name, from, to)
			latest := slices.MaxFunc(g, func(a, b ingest.Invocation) int { return cmp.Compare(a.StartNs, b.StartNs) })
			f := analysis.FunctionSummary{
				Name: spec.name, Provider: latest.Provider, Region: latest.Region, Runtime: latest.Runtime,
				Architecture: latest.Architecture, MemoryMB: latest.MemoryMB, Invocations: uint64(len(g)),
				DurationMs: truePercentiles(durationsOf(g, all, duration)),
			}
			for _, inv := range g {
				if inv.Error {
					f.Errors++
				}
				if inv.ColdStart {
					f.ColdStarts++
				}
			}
			f.ColdStartRate = float64(f.ColdStarts) / float64(f.Invocations)
			cost := new(big.Rat)
			for k, c := range costs {
				if k.function == spec.name {
					cost.Add(cost, c.total())
				}
			}
			f.CostUSD = f64(cost)
			want = append(want, f)
		}
		slices.SortFunc(want, func(a, b analysis.FunctionSummary) int { return cmp.Compare(a.Name, b.Name) })
		if len(got) != len(want) {
			t.Fatalf("%d functions, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			g, w := got[i], want[i]
			if !closeUSD(g.CostUSD, w.CostUSD) {
				t.Errorf("%s: cost %.12f, want %.12f", w.Name, g.CostUSD, w.CostUSD)
			}
			g.CostUSD = w.CostUSD
			if g != w {
				t.Errorf("function %d:\n got %+v\nwant %+v", i, g, w)
			}
			t.Logf("%-15s %4d inv, %3d cold (%.3f), %2d errors, p50 %.3f p99 %.3f max %.3f ms, %d MB %s", g.Name, g.Invocations,
				g.ColdStarts, g.ColdStartRate, g.Errors, g.DurationMs.P50, g.DurationMs.P99, g.DurationMs.Max, g.MemoryMB, g.Architecture)
		}
	})

	const coldStep = 15 * time.Minute
	for _, spec := range fixtureFunctions {
		t.Run("ColdStarts/"+spec.name, func(t *testing.T) {
			rep, err := e.reports.ColdStarts(ctx, r, spec.name, coldStep)
			if err != nil {
				t.Fatal(err)
			}
			g := group(invs, tenant, spec.name, from, to)
			want := analysis.ColdStartReport{
				Function: spec.name, Invocations: uint64(len(g)),
				ColdDurationMs: truePercentiles(durationsOf(g, cold, duration)),
				WarmDurationMs: truePercentiles(durationsOf(g, warm, duration)),
				InitDurationMs: truePercentiles(durationsOf(g, func(inv ingest.Invocation) bool { return inv.ColdStart && inv.InitDurationNs > 0 }, initDuration)),
				Series:         make([]analysis.ColdStartBucket, 24), // 6 h / 15 min
			}
			for i := range want.Series {
				want.Series[i].Time = from.Add(time.Duration(i) * coldStep)
			}
			for _, inv := range g {
				b := &want.Series[bucketOf(inv, from, coldStep)]
				b.Invocations++
				if inv.ColdStart {
					want.ColdStarts++
					b.ColdStarts++
				}
			}
			want.ColdStartRate = float64(want.ColdStarts) / float64(want.Invocations)
			for i := range want.Series {
				if b := &want.Series[i]; b.Invocations > 0 {
					b.ColdStartRate = float64(b.ColdStarts) / float64(b.Invocations)
				}
			}
			if !reflect.DeepEqual(rep, want) {
				t.Errorf("cold-start report\n got %+v\nwant %+v", rep, want)
			}
			// The series adds up to the totals.
			var n, c uint64
			for _, b := range rep.Series {
				n, c = n+b.Invocations, c+b.ColdStarts
			}
			if n != rep.Invocations || c != rep.ColdStarts {
				t.Errorf("series sums %d invocations, %d cold; totals %d, %d", n, c, rep.Invocations, rep.ColdStarts)
			}
			t.Logf("%d inv, %d cold (%.4f); cold p50/p99 %.3f/%.3f ms, warm p50/p99 %.3f/%.3f ms, init p50/p99 %.3f/%.3f ms",
				rep.Invocations, rep.ColdStarts, rep.ColdStartRate, rep.ColdDurationMs.P50, rep.ColdDurationMs.P99,
				rep.WarmDurationMs.P50, rep.WarmDurationMs.P99, rep.InitDurationMs.P50, rep.InitDurationMs.P99)
		})
	}

	// 7 minutes does not divide 6 hours: 52 buckets, the last one partial.
	const latencyStep = 7 * time.Minute
	for _, spec := range fixtureFunctions {
		t.Run("Latency/"+spec.name, func(t *testing.T) {
			rep, err := e.reports.Latency(ctx, r, spec.name, latencyStep)
			if err != nil {
				t.Fatal(err)
			}
			g := group(invs, tenant, spec.name, from, to)
			want := analysis.LatencyReport{Function: spec.name, DurationMs: truePercentiles(durationsOf(g, all, duration)),
				Series: make([]analysis.LatencyBucket, 52)}
			perBucket := make([][]uint64, len(want.Series))
			for _, inv := range g {
				b := bucketOf(inv, from, latencyStep)
				perBucket[b] = append(perBucket[b], inv.DurationNs)
			}
			var n uint64
			for i, d := range perBucket {
				p := truePercentiles(d)
				want.Series[i] = analysis.LatencyBucket{Time: from.Add(time.Duration(i) * latencyStep), Invocations: uint64(len(d)),
					P50: p.P50, P90: p.P90, P95: p.P95, P99: p.P99}
				n += rep.Series[i].Invocations
			}
			// Equal, not merely close: nearest rank picks a sample, and the
			// sample's nanoseconds convert to the same float both sides.
			if !reflect.DeepEqual(rep, want) {
				t.Errorf("latency report\n got %+v\nwant %+v", rep, want)
			}
			if n != uint64(len(g)) {
				t.Errorf("series sums to %d invocations, want %d", n, len(g))
			}
			t.Logf("%d inv: p50 %.6f p90 %.6f p95 %.6f p99 %.6f max %.6f ms", len(g),
				rep.DurationMs.P50, rep.DurationMs.P90, rep.DurationMs.P95, rep.DurationMs.P99, rep.DurationMs.Max)
		})
	}

	t.Run("OtherTenant", func(t *testing.T) {
		fs, err := e.reports.Functions(ctx, analysis.Range{Tenant: "other-tenant", From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		want := len(group(other, "other-tenant", "api-gateway", from, to))
		if len(fs) != 1 || fs[0].Name != "api-gateway" || fs[0].Invocations != uint64(want) {
			t.Errorf("other tenant: %+v, want only api-gateway with %d invocations", fs, want)
		}
	})
}

func all(ingest.Invocation) bool                { return true }
func cold(inv ingest.Invocation) bool           { return inv.ColdStart }
func warm(inv ingest.Invocation) bool           { return !inv.ColdStart }
func duration(inv ingest.Invocation) uint64     { return inv.DurationNs }
func initDuration(inv ingest.Invocation) uint64 { return inv.InitDurationNs }

// TestSameBatchTwiceCountsOnce: with merges stopped, the second write
// really does store every row twice; the reports still count each once.
func TestSameBatchTwiceCountsOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.stopMerges(t)
	invs := generate(3, tenant, fixtureFunctions[:2])
	r := analysis.Range{Tenant: tenant, From: from, To: to}

	e.write(t, invs, len(invs))
	onceFns, err := e.reports.Functions(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	onceCost, err := e.reports.Cost(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	onceCold, err := e.reports.ColdStarts(ctx, r, "api-gateway", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	e.write(t, invs, len(invs))
	var raw uint64
	if err := e.conn.QueryRow(ctx, "SELECT count() FROM `"+e.db+"`.invocations").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if raw != 2*uint64(len(invs)) {
		t.Fatalf("%d rows stored, want %d: the duplicate was not stored, so this test proves nothing", raw, 2*len(invs))
	}
	twiceFns, err := e.reports.Functions(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	twiceCost, err := e.reports.Cost(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	twiceCold, err := e.reports.ColdStarts(ctx, r, "api-gateway", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(onceFns, twiceFns) || !reflect.DeepEqual(onceCost, twiceCost) || !reflect.DeepEqual(onceCold, twiceCold) {
		t.Errorf("reports changed after the duplicate write:\nfunctions %+v\n       vs %+v\ncost %+v\n  vs %+v", onceFns, twiceFns, onceCost, twiceCost)
	}
	want := len(group(invs, tenant, "api-gateway", from, to))
	if onceCold.Invocations != uint64(want) {
		t.Errorf("%d invocations, want %d", onceCold.Invocations, want)
	}
	t.Logf("%d rows stored for %d invocations; reports unchanged", raw, len(invs))
}

// TestUnknownAndEmpty: a function never seen is an error; a known one with
// nothing in the window is a zero report with every bucket present.
func TestUnknownAndEmpty(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.write(t, generate(4, tenant, fixtureFunctions[:1]), 5000)
	// Known only to another tenant: still unknown to this one.
	e.write(t, generate(5, "other-tenant", []fnSpec{{name: "elsewhere", provider: "aws", region: "us-east-1",
		memory: []uint32{128}, n: 10, meanMs: 10}}), 5000)
	r := analysis.Range{Tenant: tenant, From: from, To: to}

	for _, name := range []string{"no-such-function", "elsewhere"} {
		if _, err := e.reports.ColdStarts(ctx, r, name, time.Minute); !errors.Is(err, analysis.ErrUnknownFunction) || !strings.Contains(err.Error(), name) {
			t.Errorf("ColdStarts(%s): %v, want ErrUnknownFunction naming it", name, err)
		}
		if _, err := e.reports.Latency(ctx, r, name, time.Minute); !errors.Is(err, analysis.ErrUnknownFunction) {
			t.Errorf("Latency(%s): %v, want ErrUnknownFunction", name, err)
		}
	}

	// A day later: the function is known, the window is empty.
	later := analysis.Range{Tenant: tenant, From: to.Add(24 * time.Hour), To: to.Add(26 * time.Hour)}
	cs, err := e.reports.ColdStarts(ctx, later, "api-gateway", 10*time.Minute)
	if err != nil {
		t.Fatalf("ColdStarts outside the window: %v, want a zero report", err)
	}
	if cs.Invocations != 0 || cs.ColdStarts != 0 || cs.ColdStartRate != 0 || cs.WarmDurationMs != (analysis.Percentiles{}) || len(cs.Series) != 12 {
		t.Errorf("cold starts outside the window: %+v", cs)
	}
	for i, b := range cs.Series {
		if want := later.From.Add(time.Duration(i) * 10 * time.Minute); !b.Time.Equal(want) || b.Invocations != 0 || b.ColdStartRate != 0 {
			t.Errorf("bucket %d: %+v, want an empty bucket at %s", i, b, want)
		}
	}
	lat, err := e.reports.Latency(ctx, later, "api-gateway", 10*time.Minute)
	if err != nil {
		t.Fatalf("Latency outside the window: %v, want a zero report", err)
	}
	if lat.DurationMs != (analysis.Percentiles{}) || len(lat.Series) != 12 || lat.Series[11].Invocations != 0 {
		t.Errorf("latency outside the window: %+v", lat)
	}
	fs, err := e.reports.Functions(ctx, later)
	if err != nil || fs == nil || len(fs) != 0 {
		t.Errorf("Functions outside the window: %#v, %v; want an empty, non-nil list", fs, err)
	}
	cost, err := e.reports.Cost(ctx, later)
	if err != nil || cost.Items == nil || len(cost.Items) != 0 || cost.TotalUSD != 0 {
		t.Errorf("Cost outside the window: %+v, %v; want no items and 0", cost, err)
	}
}

// TestInvalidRequests: requests that cannot be answered are ErrInvalid
// before any query runs.
func TestInvalidRequests(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ok := analysis.Range{Tenant: tenant, From: from, To: to}
	for _, tc := range []struct {
		name string
		r    analysis.Range
		fn   string
		step time.Duration
	}{
		{"zero step", ok, "f", 0},
		{"negative step", ok, "f", -time.Second},
		{"sub-second step", ok, "f", 999 * time.Millisecond},
		{"too many buckets", ok, "f", time.Second}, // 21,600 > 11,000
		{"from equals to", analysis.Range{Tenant: tenant, From: from, To: from}, "f", time.Minute},
		{"from after to", analysis.Range{Tenant: tenant, From: to, To: from}, "f", time.Minute},
		{"no function", ok, "", time.Minute},
		{"no tenant", analysis.Range{From: from, To: to}, "f", time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.reports.ColdStarts(ctx, tc.r, tc.fn, tc.step); !errors.Is(err, analysis.ErrInvalid) {
				t.Errorf("ColdStarts: %v, want ErrInvalid", err)
			}
			if _, err := e.reports.Latency(ctx, tc.r, tc.fn, tc.step); !errors.Is(err, analysis.ErrInvalid) {
				t.Errorf("Latency: %v, want ErrInvalid", err)
			}
		})
	}
	bad := analysis.Range{Tenant: tenant, From: to, To: from}
	if _, err := e.reports.Functions(ctx, bad); !errors.Is(err, analysis.ErrInvalid) {
		t.Errorf("Functions: %v, want ErrInvalid", err)
	}
	if _, err := e.reports.Cost(ctx, bad); !errors.Is(err, analysis.ErrInvalid) {
		t.Errorf("Cost: %v, want ErrInvalid", err)
	}
}
