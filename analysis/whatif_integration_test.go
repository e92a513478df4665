package analysis_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faasight/faasight/analysis"
	"github.com/faasight/faasight/ingest"
)

// inv builds one invocation i ms after the window's start; ids are unique
// per (function, i), so that only a repeated write is a duplicate.
func inv(function, provider, region, arch string, memory uint32, i int, durNs uint64) ingest.Invocation {
	return ingest.Invocation{
		Tenant: tenant, StartNs: uint64(from.Add(time.Duration(i) * time.Millisecond).UnixNano()), DurationNs: durNs,
		Function: function, Provider: provider, Region: region, Architecture: arch, MemoryMB: memory,
		Runtime: "go1.x", Trigger: "http",
		TraceID: fmt.Sprintf("%032x", i+1), SpanID: fmt.Sprintf("%016x", i+1), InvocationID: fmt.Sprintf("%s-%d", function, i),
	}
}

func closeTo(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !closeUSD(got, want) {
		t.Errorf("%s = %.15g, want %.15g", what, got, want)
	}
}

// TestCompare prices a small workload on every catalog; every expected
// number is worked out by hand below from the catalogs' list prices.
func TestCompare(t *testing.T) {
	e := newEnv(t)
	e.stopMerges(t)
	a1 := inv("api", "aws", "us-east-1", "x86_64", 512, 0, 1_500_000) // 1.5 ms
	a1.MaxMemoryUsedMB = 100
	a2 := inv("api", "aws", "us-east-1", "x86_64", 512, 1, 250_000_001) // 250.000001 ms
	a2.MaxMemoryUsedMB = 150
	a3 := inv("api", "aws", "us-east-1", "x86_64", 512, 2, 40_000_000) // 40 ms + 110 ms INIT
	a3.ColdStart, a3.InitDurationNs, a3.MaxMemoryUsedMB = true, 110_000_000, 200
	a3.BilledDurationMs = 999                                               // reported, and ignored: the what-if recomputes from durations
	w1 := inv("worker", "gcp", "us-central1", "x86_64", 256, 3, 50_000_000) // 50 ms, no memory data
	outside := inv("api", "aws", "us-east-1", "x86_64", 512, 0, 9_000_000_000)
	outside.StartNs = uint64(from.Add(-time.Minute).UnixNano())
	all := []ingest.Invocation{a1, a2, a3, w1, outside}
	e.write(t, all, 10)
	e.write(t, all[:2], 10) // a retried batch: FINAL must count a1, a2 once
	ctx := context.Background()
	r := analysis.Range{Tenant: tenant, From: from, To: to}

	rep, err := e.reports.Compare(ctx, r, "")
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, s := range rep.Scenarios {
		keys = append(keys, s.Key)
	}
	wantKeys := []string{"aws-lambda/x86_64", "aws-lambda/arm64", "gcp-functions-gen2", "gcp-functions-gen1", "azure-functions-consumption", "azure-functions-flex", "cloudflare-workers-standard"}
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("scenarios %v, want %v", keys, wantKeys)
	}
	if rep.Billing != "list" || len(rep.Assumptions) == 0 || len(rep.Items) != 2 {
		t.Fatalf("billing %q, %d assumptions, %d items", rep.Billing, len(rep.Assumptions), len(rep.Items))
	}
	for _, want := range []string{"100 ms", "CPU time", "vCPU", "list", "azure-functions-flex 100 ms (at least 1000 ms)", "512, 2048, 4096 MB"} {
		if !strings.Contains(strings.Join(rep.Assumptions, " "), want) {
			t.Errorf("assumptions do not mention %q", want)
		}
	}
	api := rep.Items[0]
	if api.Function != "api" || api.Invocations != 3 || api.MaxMemoryUsedMB != 200 || api.MemoryMB != 512 {
		t.Fatalf("api item %+v", api)
	}
	// Billed ms per invocation, d = duration + INIT on the cold start:
	//   1 ms step:            ceil(1.5)=2 + ceil(250.000001)=251 + 150 = 403
	//   100 ms step:          100 + 300 + 200                        = 600
	//   1 ms, 100 ms minimum: 100 + 251 + 150                        = 501
	//   100 ms, 1 s minimum:  1000 + 1000 + 1000                     = 3000
	type want struct {
		region string
		memory uint32
		billed uint64
		total  float64
	}
	wants := []want{
		// requests 3 × 0.20/1e6 = 0.0000006; 403 ms × 512/1024 = 0.2015 GB-s
		// × 0.0000166667 = 0.00000335834005
		{"us-east-1", 512, 403, 0.0000006 + 0.00000335834005},
		// 0.2015 GB-s × 0.0000133334 = 0.0000026866801
		{"us-east-1", 512, 403, 0.0000006 + 0.0000026866801},
		// reference region us-central1: requests 3 × 0.40/1e6 = 0.0000012;
		// 0.6 s × 0.333 vCPU (512 MB) = 0.1998 vCPU-s × 0.000024 = 0.0000047952;
		// 0.6 s × 0.5 GiB = 0.3 GiB-s × 0.0000025 = 0.00000075
		{"us-central1", 512, 600, 0.0000012 + 0.0000047952 + 0.00000075},
		// 0.0000012 + 0.3 GB-s × 0.0000025 + 0.6 s × 0.8 GHz × 0.00001
		{"us-central1", 512, 600, 0.0000012 + 0.00000075 + 0.0000048},
		// reference eastus; memory = highest used 200 MB → 256 MB:
		// 0.501 s × 0.25 GB = 0.12525 GB-s × 0.000016 = 0.000002004; executions 0.0000006
		{"eastus", 256, 501, 0.0000006 + 0.000002004},
		// Flex, eastus, 512 MB is an instance size: executions 3 × 0.40/1e6
		// = 0.0000012; 3 s × 0.5 GB = 1.5 GB-s × 0.000026 = 0.000039
		{"eastus", 512, 3000, 0.0000012 + 0.000039},
		// requests 3 × 0.30/1e6 = 0.0000009; CPU = wall 403 ms × 0.02/1e6 = 0.00000806
		{"global", 512, 403, 0.0000009 + 0.00000806},
	}
	for i, w := range wants {
		c := api.Costs[i]
		if c.Scenario != wantKeys[i] || c.Region != w.region || c.MemoryMB != w.memory || c.BilledDurationMs != w.billed {
			t.Errorf("api on %s: %+v, want region %s, %d MB, %d billed ms", wantKeys[i], c, w.region, w.memory, w.billed)
		}
		closeTo(t, "api on "+wantKeys[i], c.TotalUSD, w.total)
	}
	if n := api.Costs[6].Note; !strings.Contains(n, "CPU time unknown") {
		t.Errorf("cloudflare note %q does not state the CPU assumption", n)
	}

	worker := rep.Items[1]
	// A Google function is priced on Google in its own region: 100 ms
	// billed; requests 0.0000004; 0.1 s × 0.167 vCPU × 0.000024 = 0.0000004008;
	// 0.1 s × 0.25 GiB × 0.0000025 = 0.0000000625.
	if c := worker.Costs[2]; c.Region != "us-central1" || c.BilledDurationMs != 100 {
		t.Errorf("worker on gen2: %+v", c)
	}
	closeTo(t, "worker on gen2", worker.Costs[2].TotalUSD, 0.0000004+0.0000004008+0.0000000625)
	// Azure without memory data: the configured 256 MB, 100 ms minimum:
	// 0.1 s × 0.25 GB × 0.000016 = 0.0000004, + 0.0000002 per execution.
	closeTo(t, "worker on azure", worker.Costs[4].TotalUSD, 0.0000004+0.0000002)
	// Flex: 256 MB is no instance size, the next is 512 MB; 50 ms bills
	// the 1 s minimum: 1 s × 0.5 GB × 0.000026 = 0.000013, + 0.0000004.
	if c := worker.Costs[5]; c.MemoryMB != 512 || c.BilledDurationMs != 1000 || !strings.Contains(c.Note, "256 MB is not an instance memory size") {
		t.Errorf("worker on flex: %+v", c)
	}
	closeTo(t, "worker on flex", worker.Costs[5].TotalUSD, 0.000013+0.0000004)
	// AWS x86_64 in us-east-1: 0.0000002 + 0.05 s × 0.25 GB × 0.0000166667
	closeTo(t, "worker on aws", worker.Costs[0].TotalUSD, 0.0000002+0.0125*0.0000166667)
	for i, s := range rep.Scenarios {
		closeTo(t, "total of "+s.Key, s.TotalUSD, api.Costs[i].TotalUSD+worker.Costs[i].TotalUSD)
	}

	t.Run("one function", func(t *testing.T) {
		rep, err := e.reports.Compare(ctx, r, "worker")
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Items) != 1 || rep.Items[0].Function != "worker" || rep.Function != "worker" {
			t.Fatalf("items %+v", rep.Items)
		}
	})
	t.Run("unknown function", func(t *testing.T) {
		if _, err := e.reports.Compare(ctx, r, "nope"); !errors.Is(err, analysis.ErrUnknownFunction) {
			t.Errorf("err = %v, want ErrUnknownFunction", err)
		}
	})
	t.Run("known function, empty window", func(t *testing.T) {
		empty := analysis.Range{Tenant: tenant, From: to.Add(time.Hour), To: to.Add(2 * time.Hour)}
		rep, err := e.reports.Compare(ctx, empty, "api")
		if err != nil || len(rep.Items) != 0 || rep.Scenarios[0].TotalUSD != 0 {
			t.Errorf("rep %+v, err %v", rep.Items, err)
		}
	})
	t.Run("bad window", func(t *testing.T) {
		if _, err := e.reports.Compare(ctx, analysis.Range{Tenant: tenant, From: to, To: from}, ""); !errors.Is(err, analysis.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
}

// TestCompareFlexActivity: the Flex column bills instance activity
// periods (pricing.Catalog.ActivityBilledMs), worked out by hand:
//
//	i-1: five 150 ms runs starting at 100, 300, …, 900 ms, the first a
//	     cold start whose 100 ms INIT precedes it: each starts inside the
//	     billed period, one period [0, 1050] ms → 1100 ms
//	i-2: one run of 1,234 ms                       → 1300 ms
//	no instance id: two 50 ms runs 100 ms apart, each its own period → 2 × 1000 ms
//
// 4,400 ms in 4 periods at 2048 MB = 8.8 GB-s × 0.000026 = 0.0002288;
// 8 executions × 0.40/1e6 = 0.0000032. Per execution it would be 8,300 ms.
func TestCompareFlexActivity(t *testing.T) {
	e := newEnv(t)
	var invs []ingest.Invocation
	for k := range 5 {
		v := inv("busy", "aws", "us-east-1", "x86_64", 2048, 100+200*k, 150_000_000)
		v.Instance = "i-1"
		if k == 0 {
			v.ColdStart, v.InitDurationNs = true, 100_000_000
		}
		invs = append(invs, v)
	}
	long := inv("busy", "aws", "us-east-1", "x86_64", 2048, 5000, 1_234_000_000)
	long.Instance = "i-2"
	invs = append(invs, long,
		inv("busy", "aws", "us-east-1", "x86_64", 2048, 10_000, 50_000_000),
		inv("busy", "aws", "us-east-1", "x86_64", 2048, 10_100, 50_000_000))
	e.write(t, invs, 3)
	rep, err := e.reports.Compare(context.Background(), analysis.Range{Tenant: tenant, From: from, To: to}, "busy")
	if err != nil {
		t.Fatal(err)
	}
	k := slices.IndexFunc(rep.Scenarios, func(s analysis.CompareScenario) bool { return s.Key == "azure-functions-flex" })
	if len(rep.Items) != 1 || k < 0 {
		t.Fatalf("%d items, flex column %d", len(rep.Items), k)
	}
	c := rep.Items[0].Costs[k]
	if c.BilledDurationMs != 4400 || c.MemoryMB != 2048 || strings.Contains(c.Note, "unknown") {
		t.Errorf("flex: %+v, want 4400 ms at 2048 MB", c)
	}
	closeTo(t, "flex total", c.TotalUSD, 0.0002288+0.0000032)
	// The per-execution columns are unchanged: Azure Consumption bills
	// 1 ms steps with a 100 ms minimum, 5 × 150 + 100 INIT + 1234 + 2 × 100.
	if a := rep.Items[0].Costs[k-1]; a.BilledDurationMs != 2284 {
		t.Errorf("consumption: %+v, want 2284 ms", a)
	}
}

// TestRightsizing recommends memory and the arm64 switch; expectations by
// hand from the list prices, over the fixture's 6-hour window: monthly =
// window cost × 30 days / 6 h = × 120.
func TestRightsizing(t *testing.T) {
	e := newEnv(t)
	var invs []ingest.Invocation
	// api: 1024 MB x86_64, 100 runs of exactly 100 ms, peak memory 101..200 MB.
	for i := 1; i <= 100; i++ {
		v := inv("api", "aws", "us-east-1", "x86_64", 1024, i, 100_000_000)
		v.MaxMemoryUsedMB = uint32(100 + i)
		invs = append(invs, v)
	}
	// legacy: no host.arch, no memory data; 10 runs of 20 ms at 512 MB.
	for i := 200; i < 210; i++ {
		invs = append(invs, inv("legacy", "aws", "us-east-1", "", 512, i, 20_000_000))
	}
	// gfn: Google, 256 MB, 2 runs of 150 ms (billed 200 ms each), peaks 90, 100 MB.
	g1 := inv("gfn", "gcp", "us-central1", "x86_64", 256, 300, 150_000_000)
	g1.MaxMemoryUsedMB = 90
	g2 := inv("gfn", "gcp", "us-central1", "x86_64", 256, 301, 150_000_000)
	g2.MaxMemoryUsedMB = 100
	edge := inv("edge", "cloudflare", "global", "", 128, 400, 5_000_000)
	invs = append(invs, g1, g2, edge)
	e.write(t, invs, 50)

	rep, err := e.reports.Rightsizing(context.Background(), analysis.Range{Tenant: tenant, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if rep.MonthlyFactor != 120 || len(rep.Items) != 4 || len(rep.Assumptions) == 0 {
		t.Fatalf("factor %v, %d items, %d assumptions", rep.MonthlyFactor, len(rep.Items), len(rep.Assumptions))
	}
	if !strings.Contains(strings.Join(rep.Assumptions, " "), "Lambda CPU scales with memory") {
		t.Errorf("the CPU caveat is missing: %q", rep.Assumptions)
	}
	byName := map[string]analysis.RightsizingItem{}
	for _, it := range rep.Items {
		byName[it.Function] = it
	}

	api := byName["api"]
	// p99 = the 99th of 100 sorted peaks = 199 MB; max 200 MB;
	// recommended = ceil(199 × 1.2 = 238.8) = 239 MB (1 MB steps).
	if api.Invocations != 100 || api.MemorySamples != 100 || api.MemoryUsedP99MB != 199 || api.MemoryUsedMaxMB != 200 {
		t.Errorf("api data %+v", api)
	}
	// now: 100 × 0.0000002 + 10 s × 1 GB × 0.0000166667 = 0.000186667; × 120 = 0.02240004
	closeTo(t, "api window cost", api.WindowCostUSD, 0.000186667)
	closeTo(t, "api monthly cost", api.MonthlyCostUSD, 0.02240004)
	if api.Memory == nil || api.Memory.RecommendedMB != 239 {
		t.Fatalf("api memory recommendation %+v", api.Memory)
	}
	// 239 MB: 10 s × 239/1024 GB = 2.333984375 GB-s × 0.0000166667
	// + 0.00002 = 0.0000588998173828125; × 120 = 0.0070679780859375;
	// saving (0.000186667 − 0.0000588998173828125) × 120 = 0.0153320619140625
	closeTo(t, "api memory monthly cost", api.Memory.MonthlyCostUSD, 0.0070679780859375)
	closeTo(t, "api memory saving", api.Memory.MonthlySavingUSD, 0.0153320619140625)
	// arm64: 0.00002 + 10 × 0.0000133334 = 0.000153334; × 120 = 0.01840008;
	// saving 0.02240004 − 0.01840008 = 0.00399996
	if sw := api.ArchitectureSwitch; sw == nil || sw.From != "x86_64" || sw.To != "arm64" {
		t.Fatalf("api switch %+v", api.ArchitectureSwitch)
	}
	closeTo(t, "api arm64 monthly cost", api.ArchitectureSwitch.MonthlyCostUSD, 0.01840008)
	closeTo(t, "api arm64 saving", api.ArchitectureSwitch.MonthlySavingUSD, 0.00399996)

	legacy := byName["legacy"]
	if legacy.Memory != nil || legacy.ArchitectureSwitch == nil || !strings.Contains(strings.Join(legacy.Notes, "; "), "no max_memory_used_mb") {
		t.Errorf("legacy: memory %+v, switch %+v, notes %q", legacy.Memory, legacy.ArchitectureSwitch, legacy.Notes)
	}
	// x86_64 0.1 GB-s × 0.0000166667 vs arm64 × 0.0000133334: saving
	// 0.1 × 0.0000033333 = 0.00000033333 a window, × 120 = 0.0000399996
	closeTo(t, "legacy arm64 saving", legacy.ArchitectureSwitch.MonthlySavingUSD, 0.0000399996)

	gfn := byName["gfn"]
	// p99 of {90, 100} is rank ceil(1.98) = 2 → 100 MB; × 1.2 = 120 → at
	// least 128 → Google's next size: 128 MB. Billed 2 × 200 ms = 0.4 s.
	// now (256 MB, 0.167 vCPU): 2 × 0.0000004 + 0.4 × 0.167 × 0.000024
	// + 0.4 × 0.25 × 0.0000025 = 0.0000008 + 0.0000016032 + 0.00000025 = 0.0000026532
	// 128 MB (0.083 vCPU): 0.0000008 + 0.4 × 0.083 × 0.000024 + 0.4 × 0.125 × 0.0000025
	// = 0.0000008 + 0.0000007968 + 0.000000125 = 0.0000017218
	// saving (0.0000026532 − 0.0000017218) × 120 = 0.000111768
	if gfn.Memory == nil || gfn.Memory.RecommendedMB != 128 || gfn.ArchitectureSwitch != nil || gfn.MemoryUsedP99MB != 100 {
		t.Fatalf("gfn %+v memory %+v", gfn, gfn.Memory)
	}
	closeTo(t, "gfn window cost", gfn.WindowCostUSD, 0.0000026532)
	closeTo(t, "gfn memory saving", gfn.Memory.MonthlySavingUSD, 0.000111768)

	edgeItem := byName["edge"]
	if edgeItem.Memory != nil || edgeItem.ArchitectureSwitch != nil || len(edgeItem.Notes) == 0 {
		t.Errorf("edge %+v", edgeItem)
	}
}
