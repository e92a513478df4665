package pricing

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

func lookup(t testing.TB, name string) *Catalog {
	t.Helper()
	c, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func month(s string) time.Time {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		panic(err)
	}
	return t
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// lineSums is each line's net amount, summed over meters and regions.
func lineSums(b Bill) map[Line]decimal.Decimal {
	out := map[Line]decimal.Decimal{}
	for _, l := range b.Lines {
		out[l.Line] = out[l.Line].Add(l.Amount)
	}
	return out
}

func billOne(t testing.TB, c *Catalog, billing Billing, p Period) Bill {
	t.Helper()
	bills, err := c.Bill(billing, []Period{p})
	if err != nil {
		t.Fatal(err)
	}
	if len(bills) != 1 {
		t.Fatalf("%d bills, want 1", len(bills))
	}
	return bills[0]
}

type example struct {
	Name, Source, Note, Catalog, Billing, Month string
	Usage                                       []struct {
		Region           string `yaml:"region"`
		Architecture     string `yaml:"architecture"`
		MemoryMB         uint32 `yaml:"memory_mb"`
		Invocations      uint64 `yaml:"invocations"`
		BilledDurationMs uint64 `yaml:"billed_duration_ms"`
		CPUMs            uint64 `yaml:"cpu_ms"`
		ActivePeriods    uint64 `yaml:"active_periods"`
		EphemeralMB      uint32 `yaml:"ephemeral_storage_mb"`
		ProvisionedMs    uint64 `yaml:"provisioned_concurrency_ms"`
		ProvisionedRunMs uint64 `yaml:"provisioned_duration_ms"`
		SnapStartCacheMs uint64 `yaml:"snapstart_cache_ms"`
		SnapStartRestore uint64 `yaml:"snapstart_restores"`
	}
	// Total is the example's total to the cent; Exact, when the example
	// gives more digits, the exact amount.
	Total, Exact string
	Lines        map[Line]string
}

// TestProviderExamples reproduces, to the cent, the worked examples on the
// providers' pricing pages (testdata/examples.yaml names each source).
func TestProviderExamples(t *testing.T) {
	data, err := os.ReadFile("testdata/examples.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var examples []example
	if err := dec.Decode(&examples); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ex := range examples {
		t.Run(ex.Name, func(t *testing.T) {
			if ex.Source == "" || ex.Total == "" {
				t.Fatal("an example needs its source and total")
			}
			c := lookup(t, ex.Catalog)
			seen[ex.Catalog] = true
			billing, err := ParseBilling(ex.Billing)
			if err != nil {
				t.Fatal(err)
			}
			p := Period{Account: "example", Month: month(ex.Month)}
			for _, u := range ex.Usage {
				p.Usage = append(p.Usage, Usage{Provider: c.Provider, Region: u.Region, Architecture: u.Architecture, MemoryMB: u.MemoryMB,
					Invocations: u.Invocations, BilledDurationMs: u.BilledDurationMs, CPUMs: u.CPUMs, ActivePeriods: u.ActivePeriods,
					EphemeralStorageMB: u.EphemeralMB, ProvisionedConcurrencyMs: u.ProvisionedMs, ProvisionedDurationMs: u.ProvisionedRunMs,
					SnapStartCacheMs: u.SnapStartCacheMs, SnapStartRestores: u.SnapStartRestore})
			}
			b := billOne(t, c, billing, p)
			if got := b.Total.Round(2); !got.Equal(decimal.RequireFromString(ex.Total)) {
				t.Errorf("total %s (exact %s), want %s (%s)\n%s", got.StringFixed(2), b.Total, ex.Total, ex.Note, b)
			}
			if ex.Exact != "" && !b.Total.Equal(decimal.RequireFromString(ex.Exact)) {
				t.Errorf("total %s, want exactly %s (%s)\n%s", b.Total, ex.Exact, ex.Note, b)
			}
			sums := lineSums(b)
			for line, want := range ex.Lines {
				if got := sums[line].Round(2); !got.Equal(decimal.RequireFromString(want)) {
					t.Errorf("%s %s, want %s\n%s", line, got.StringFixed(2), want, b)
				}
			}
		})
	}
	if !seen["aws-lambda"] || !seen["azure-functions-consumption"] || !seen["azure-functions-flex"] || !seen["gcp-functions-gen1"] || !seen["cloudflare-workers-standard"] {
		t.Errorf("examples cover %v; every catalog with a published example must have one", seen)
	}
}

// TestMixedWorkloadEffective prices one account across a tier boundary and
// a month boundary, against this hand computation (AWS, us-east-1, 1024 MB
// so that GB-s = ms / 1000):
//
// January, prior (month-to-date before the window): 10M requests and
// 5,999,600,000 GB-s x86_64 — free tier used up, 400,000 GB-s short of the
// 6-billion tier boundary. Window: 2M requests, 1,000,000 GB-s x86_64:
//
//	requests 2M × 0.20/1M                    = 0.40
//	compute  400,000 × 0.0000166667          = 6.66668   (rest of tier 1)
//	       + 600,000 × 0.0000150000          = 9.00000   (tier 2)
//	total                                    = 16.06668
//
// February starts over: 500,000 requests and 500,000 GB-s x86_64, then
// 100,000 requests and 100,000 GB-s arm64:
//
//	requests 600,000 × 0.20/1M               = 0.12
//	compute  500,000 × 0.0000166667          = 8.33335
//	         100,000 × 0.0000133334          = 1.33334
//	free     requests −0.12 (600,000 < 1M);
//	         GB-s: the 400,000 shared free GB-s go to the first usage,
//	         x86_64: −400,000 × 0.0000166667 = −6.66668
//	total    0.12 + 8.33335 + 1.33334 − 0.12 − 6.66668 = 3.00001
func TestMixedWorkloadEffective(t *testing.T) {
	c := mustLoad(t)
	u := func(arch string, at string, inv, gbs uint64) Usage {
		when, _ := time.Parse(time.DateOnly, at)
		return Usage{Provider: "aws", Region: "us-east-1", Architecture: arch, MemoryMB: 1024, Invocations: inv, BilledDurationMs: gbs * 1000, At: when}
	}
	bills, err := c.Bill(BillingEffective, []Period{
		// Out of order on purpose: Bill sorts by month.
		{Account: "acct", Month: month("2025-02"), Usage: []Usage{u("x86_64", "2025-02-03", 500_000, 500_000), u("arm64", "2025-02-20", 100_000, 100_000)}},
		{Account: "acct", Month: month("2025-01"),
			Prior: []Usage{u("x86_64", "2025-01-02", 10_000_000, 5_999_600_000)},
			Usage: []Usage{u("x86_64", "2025-01-20", 2_000_000, 1_000_000)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bills) != 2 || bills[0].Month != "2025-01" || bills[1].Month != "2025-02" {
		t.Fatalf("bills %v", bills)
	}
	for _, tc := range []struct {
		b     Bill
		total string
		lines map[Line]string
	}{
		{bills[0], "16.06668", map[Line]string{LineRequests: "0.4", LineCompute: "15.66668"}},
		{bills[1], "3.00001", map[Line]string{LineRequests: "0.12", LineCompute: "9.66669", LineFreeTier: "-6.78668"}},
	} {
		if !tc.b.Total.Equal(dec(tc.total)) {
			t.Errorf("%s total %s, want %s\n%s", tc.b.Month, tc.b.Total, tc.total, tc.b)
		}
		sums := lineSums(tc.b)
		for line, want := range tc.lines {
			if !sums[line].Equal(dec(want)) {
				t.Errorf("%s %s = %s, want %s\n%s", tc.b.Month, line, sums[line], want, tc.b)
			}
		}
		if len(sums) != len(tc.lines) {
			t.Errorf("%s has lines %v, want only %v", tc.b.Month, sums, tc.lines)
		}
	}
	// The same January window priced list: every unit at tier 1, no prior
	// position: 0.40 + 1,000,000 × 0.0000166667 = 0.40 + 16.6667 = 17.0667.
	list := billOne(t, c, BillingList, Period{Account: "acct", Month: month("2025-01"),
		Prior: []Usage{u("x86_64", "2025-01-02", 10_000_000, 5_999_600_000)}, Usage: []Usage{u("x86_64", "2025-01-20", 2_000_000, 1_000_000)}})
	if !list.Total.Equal(dec("17.0667")) {
		t.Errorf("list total %s, want 17.0667\n%s", list.Total, list)
	}
}

// TestAWSLineItems: INIT by its date, provisioned concurrency, ephemeral
// storage — each computed by hand.
func TestAWSLineItems(t *testing.T) {
	c := mustLoad(t)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	// 1,000 invocations at 2048 MB, 400,000 billed ms of which 100,000 INIT.
	base := Usage{Provider: "aws", Region: "us-east-1", Architecture: "x86_64", MemoryMB: 2048, Invocations: 1000, BilledDurationMs: 400_000, InitMs: 100_000}
	for _, tc := range []struct {
		name  string
		mod   func(u *Usage)
		lines map[Line]string
		note  string
	}{
		{
			// After 2025-08-01 INIT is billed: 300 s × 2 GB = 600 GB-s ×
			// 0.0000166667 = 0.01000002; INIT 100 s × 2 GB = 200 GB-s =
			// 0.00333334; requests 1000 × 0.2/1M = 0.0002.
			name: "INIT billed from 2025-08-01", mod: func(u *Usage) { u.At = day("2025-08-01") },
			lines: map[Line]string{LineRequests: "0.0002", LineCompute: "0.01000002", LineInit: "0.00333334"},
		},
		{
			// Before, a managed-runtime zip function's INIT is free: compute
			// only, 600 GB-s.
			name: "INIT free before for managed runtimes", mod: func(u *Usage) { u.At = day("2025-07-31") },
			lines: map[Line]string{LineRequests: "0.0002", LineCompute: "0.01000002"}, note: "INIT of managed-runtime zip functions not billed before 2025-08-01",
		},
		{
			name: "INIT always billed for custom runtimes and images", mod: func(u *Usage) { u.At = day("2025-07-31"); u.OwnRuntime = true },
			lines: map[Line]string{LineRequests: "0.0002", LineCompute: "0.01000002", LineInit: "0.00333334"},
		},
		{
			// Provisioned: concurrency 10 for one hour = 36,000,000 ms × 2 GB
			// = 72,000 GB-s × 0.0000041667 = 0.3000024; 200,000 of the billed
			// ms ran on it: 400 GB-s × 0.0000097222 = 0.00388888. On-demand
			// keeps 200,000 ms of which 100,000 INIT: 200 GB-s each =
			// 0.00333334 apiece.
			name: "provisioned concurrency", mod: func(u *Usage) {
				u.At = day("2025-09-01")
				u.ProvisionedConcurrencyMs = 10 * 3_600_000
				u.ProvisionedDurationMs = 200_000
			},
			lines: map[Line]string{LineRequests: "0.0002", LineCompute: "0.00333334", LineInit: "0.00333334", LineProvisioned: "0.30389128"},
		},
		{
			// 10,240 MB of /tmp: 9,728 MB above the free 512 = 9.5 GB ×
			// 400 s = 3,800 GB-s × 0.0000000309 = 0.00011742.
			name: "ephemeral storage above 512 MB", mod: func(u *Usage) { u.At = day("2025-09-01"); u.EphemeralStorageMB = 10240 },
			lines: map[Line]string{LineRequests: "0.0002", LineCompute: "0.01000002", LineInit: "0.00333334", LineStorage: "0.00011742"},
		},
		{
			// arm64 provisioned concurrency, priced from 2025-10-01:
			// concurrency 10 for one hour = 72,000 GB-s × 0.0000033334 =
			// 0.2400048; 200,000 ms on it = 400 GB-s × 0.0000077778 =
			// 0.00311112. On demand 100,000 ms + 100,000 INIT: 200 GB-s
			// × 0.0000133334 = 0.00266668 each.
			name: "arm64 provisioned concurrency", mod: func(u *Usage) {
				u.At = day("2025-10-01")
				u.Architecture = "arm64"
				u.ProvisionedConcurrencyMs = 10 * 3_600_000
				u.ProvisionedDurationMs = 200_000
			},
			lines: map[Line]string{LineRequests: "0.0002", LineCompute: "0.00266668", LineInit: "0.00266668", LineProvisioned: "0.24311592"},
		},
		{
			// Before the date faasight checked it, unpriced and said so;
			// 600 GB-s arm64 on demand × 0.0000133334 = 0.00800004, INIT
			// 200 × 0.0000133334 = 0.00266668.
			name: "arm64 provisioned concurrency before its checked date", mod: func(u *Usage) {
				u.At = day("2025-09-01")
				u.Architecture = "arm64"
				u.ProvisionedConcurrencyMs = 1000
			},
			lines: map[Line]string{LineRequests: "0.0002", LineCompute: "0.00800004", LineInit: "0.00266668"}, note: "no aws-lambda price for provisioned.arm64",
		},
		{
			// SnapStart: a 2 GB version cached for 30 days = 2,592,000 s
			// × 2 GB = 5,184,000 GB-s × 0.0000015046 = 7.79984640; 1,000
			// restores × 2 GB = 2,000 GB × 0.0001397998 = 0.2795996 (init).
			name: "SnapStart cache and restore", mod: func(u *Usage) {
				u.At = day("2025-10-01")
				u.SnapStartCacheMs = 30 * 86_400_000
				u.SnapStartRestores = 1000
			},
			lines: map[Line]string{LineRequests: "0.0002", LineCompute: "0.01000002", LineInit: "0.28293294", LineStorage: "7.7998464"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := base
			tc.mod(&u)
			got, err := c.Price(u)
			if err != nil {
				t.Fatal(err)
			}
			sums := map[Line]decimal.Decimal{}
			for _, l := range got.Lines {
				sums[l.Line] = sums[l.Line].Add(l.Amount)
			}
			want := decimal.Zero
			for line, amount := range tc.lines {
				want = want.Add(dec(amount))
				if !sums[line].Equal(dec(amount)) {
					t.Errorf("%s = %s, want %s (%v)", line, sums[line], amount, got.Lines)
				}
			}
			for line, amount := range sums {
				if _, ok := tc.lines[line]; !ok && !amount.IsZero() {
					t.Errorf("unexpected line %s = %s", line, amount)
				}
			}
			if !got.Total.Equal(want) {
				t.Errorf("total %s, want %s", got.Total, want)
			}
			if !strings.Contains(got.Note, tc.note) {
				t.Errorf("note %q, want it to mention %q", got.Note, tc.note)
			}
		})
	}
}

// TestCloudRunFunctions: no provider example for request-based Cloud Run
// functions is reproduced (see docs/pricing.md), so a hand computation:
// 1M requests × 200 ms at 512 MB and 1 vCPU in us-central1 (Tier 1):
// requests 1M × 0.40/1M = 0.40; 200,000 vCPU-s × 0.000024 = 4.80;
// 200,000 s × 0.5 GiB = 100,000 GiB-s × 0.0000025 = 0.25; list 5.45.
// Effective: the 2M free requests cover 1M (−0.40), 180,000 free vCPU-s
// (−4.32), the 360,000 free GiB-s cover 100,000 (−0.25): 0.48.
func TestCloudRunFunctions(t *testing.T) {
	c := lookup(t, "gcp-functions-gen2")
	u := Usage{Provider: "gcp", Region: "us-central1", MemoryMB: 512, VCPUMilli: 1000, Invocations: 1_000_000, BilledDurationMs: 200_000_000}
	p := Period{Account: "billing-account", Month: month("2025-09"), Usage: []Usage{u}}
	if b := billOne(t, c, BillingList, p); !b.Total.Equal(dec("5.45")) {
		t.Errorf("list %s, want 5.45\n%s", b.Total, b)
	}
	if b := billOne(t, c, BillingEffective, p); !b.Total.Equal(dec("0.48")) {
		t.Errorf("effective %s, want 0.48\n%s", b.Total, b)
	}
	// vCPU unknown: 512 MB's default 0.333 vCPU, stated:
	// 200,000 × 0.333 = 66,600 vCPU-s × 0.000024 = 1.5984; 0.40 + 0.25.
	u.VCPUMilli = 0
	got, err := c.Price(u)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Total.Equal(dec("2.2484")) || !strings.Contains(got.Note, "assumed 0.333") {
		t.Errorf("default vCPU: %s, %q", got.Total, got.Note)
	}
	// London is Tier 2 for Cloud Run (Tier 1 for 1st gen): 66,600 vCPU-s
	// × 0.0000336 = 2.23776; 100,000 GiB-s × 0.0000035 = 0.35; 0.40.
	u.Region = "europe-west2"
	if got, _ := c.Price(u); !got.Total.Equal(dec("2.98776")) {
		t.Errorf("europe-west2: %s, %q", got.Total, got.Note)
	}
	// A region the locations page does not list is not priced, and says so.
	u.Region = "europe-north2"
	if got, _ := c.Price(u); !got.Total.IsZero() || !strings.Contains(got.Note, "europe-north2 not in catalog") {
		t.Errorf("unlisted region: %s, %q", got.Total, got.Note)
	}
	// Tier 2 (Seoul), 1 vCPU: requests 0.40; 200,000 vCPU-s × 0.0000336
	// = 6.72; 100,000 GiB-s × 0.0000035 = 0.35; list 7.47. Effective: the
	// free tier is credited at Tier 1 prices: requests −0.40, 180,000
	// vCPU-s × 0.000024 = −4.32, 100,000 GiB-s × 0.0000025 = −0.25: 2.50.
	u.Region, u.VCPUMilli, u.At = "asia-northeast3", 1000, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	p = Period{Account: "billing-account", Month: month("2026-09"), Usage: []Usage{u}}
	if b := billOne(t, c, BillingList, p); !b.Total.Equal(dec("7.47")) {
		t.Errorf("tier 2 list %s, want 7.47\n%s", b.Total, b)
	}
	if b := billOne(t, c, BillingEffective, p); !b.Total.Equal(dec("2.50")) {
		t.Errorf("tier 2 effective %s, want 2.50\n%s", b.Total, b)
	}
}

// TestAzureFlex: no provider example is published with the prices, so a
// hand computation, East US, 2048 MB instances:
// 1,000,000 executions × 300 ms bill at least 1,000 ms each →
// 1,000,000 s × 2 GB = 2,000,000 GB-s × 0.000026 = 52.00; executions
// 1M × 0.40/1M = 0.40; list 52.40. Effective: the free grant covers
// 250,000 executions (−0.10) and 100,000 GB-s (−2.60): 49.70.
// Always ready: one instance for 30 days = 2,592,000 s × 2 GB = 5,184,000
// GB-s × 0.000004 = 20.736; 400,000 of the billed seconds on it = 800,000
// GB-s × 0.000016 = 12.80, on-demand 600,000 s = 1,200,000 GB-s × 0.000026
// = 31.20; list 0.40 + 31.20 + 20.736 + 12.80 = 65.136.
func TestAzureFlex(t *testing.T) {
	c := lookup(t, "azure-functions-flex")
	if got := c.BilledDurationMs(300_000_000); got != 1000 {
		t.Errorf("300 ms bills %d ms, want 1000", got)
	}
	if got := c.BilledDurationMs(1_234_000_000); got != 1300 {
		t.Errorf("1,234 ms bills %d ms, want 1300", got)
	}
	u := Usage{Provider: "azure", Region: "eastus", MemoryMB: 2048, Invocations: 1_000_000, BilledDurationMs: 300_000_000}
	p := Period{Account: "subscription", Month: month("2025-09"), Usage: []Usage{u}}
	if b := billOne(t, c, BillingList, p); !b.Total.Equal(dec("52.40")) {
		t.Errorf("list %s, want 52.40\n%s", b.Total, b)
	}
	if b := billOne(t, c, BillingEffective, p); !b.Total.Equal(dec("49.70")) {
		t.Errorf("effective %s, want 49.70\n%s", b.Total, b)
	}
	u.BilledDurationMs = 1_000_000_000
	u.ProvisionedConcurrencyMs = 30 * 86_400_000
	u.ProvisionedDurationMs = 400_000_000
	got, err := c.Price(u)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Total.Equal(dec("65.136")) || !strings.Contains(got.Note, "upper bound") {
		t.Errorf("always ready: %s, %q (%v)", got.Total, got.Note, got.Lines)
	}
}

// TestGen1ComputeTimeTable reproduces the compute-time table Google's
// Cloud Functions pricing page published (price per 100 ms of a 1st gen
// function by memory size, Tier 1 and Tier 2, to nine decimals), from
// the catalog's GB-s and GHz-s prices: one 100 ms invocation, less its
// invocation price. As transcribed in several independent copies of the
// 2022–2024 page; firebase-tools points at the same table
// (https://cloud.google.com/functions/pricing#compute_time).
func TestGen1ComputeTimeTable(t *testing.T) {
	c := lookup(t, "gcp-functions-gen1")
	for _, tc := range []struct {
		mb           uint32
		tier1, tier2 string
	}{
		{128, "0.000000231", "0.000000324"},
		{256, "0.000000463", "0.000000648"},
		{512, "0.000000925", "0.000001295"},
		{1024, "0.000001650", "0.000002310"},
		{2048, "0.000002900", "0.000004060"},
		{4096, "0.000005800", "0.000008120"},
		{8192, "0.000006800", "0.000009520"},
	} {
		for region, want := range map[string]string{"us-central1": tc.tier1, "europe-west3": tc.tier2} {
			got, err := c.Price(Usage{Provider: "gcp", Region: region, MemoryMB: tc.mb, Invocations: 1, BilledDurationMs: 100})
			if err != nil {
				t.Fatal(err)
			}
			if per100 := got.Compute.Round(9); !per100.Equal(dec(want)) {
				t.Errorf("%d MB in %s: %s per 100 ms (exact %s), Google's table %s", tc.mb, region, per100, got.Compute, want)
			}
		}
	}
}

// TestAzureConsumptionRegions: Consumption has one price in every region
// on its shared meter; a region not seen on it is unpriced.
func TestAzureConsumptionRegions(t *testing.T) {
	c := lookup(t, "azure-functions-consumption")
	u := Usage{Provider: "azure", MemoryMB: 512, Invocations: 3_000_000, BilledDurationMs: 3_000_000_000}
	for _, region := range []string{"eastus", "westeurope", "southeastasia", "australiacentral2"} {
		u.Region = region
		// 1,500,000 GB-s × 0.000016 = 24; 3M × 0.20/1M = 0.60.
		if got, err := c.Price(u); err != nil || !got.Total.Equal(dec("24.6")) {
			t.Errorf("%s: %s, %v", region, got.Total, err)
		}
	}
	u.Region = "northeurope"
	if got, _ := c.Price(u); !got.Total.IsZero() || !strings.Contains(got.Note, "not in catalog") {
		t.Errorf("northeurope: %s, %q", got.Total, got.Note)
	}
}

// TestActivityBilledMs: Flex bills instance activity periods, each at
// least 1 s and then in 100 ms steps; an execution that starts inside the
// open period's billed time joins it.
func TestActivityBilledMs(t *testing.T) {
	c := lookup(t, "azure-functions-flex")
	ms := func(a, b float64) Execution { return Execution{uint64(a * 1e6), uint64(b * 1e6)} }
	// An hour of back-to-back 250 ms executions, with a 1 ms gap each.
	var busy []Execution
	for i := range 14_400 {
		busy = append(busy, ms(float64(i)*250, float64(i)*250+249))
	}
	for _, tc := range []struct {
		name    string
		execs   []Execution
		billed  uint64
		periods uint64
	}{
		{"none", nil, 0, 0},
		{"one short", []Execution{ms(0, 300)}, 1000, 1},
		{"one long, rounded up", []Execution{ms(0, 1234)}, 1300, 1},
		{"four back to back", []Execution{ms(0, 250), ms(250, 500), ms(500, 750), ms(750, 1000)}, 1000, 1},
		// Every fourth execution starts just as the 1 s billed so far ends:
		// 3,600 periods of exactly 1 s, the instance paid for all hour.
		{"a busy hour", busy, 3_600_000, 3_600},
		{"joins inside the minimum, extends it", []Execution{ms(0, 100), ms(900, 1500)}, 1500, 1},
		{"concurrent", []Execution{ms(0, 2000), ms(500, 800)}, 2000, 1},
		{"starts as the billed time ends", []Execution{ms(0, 100), ms(1000, 1100)}, 2000, 2},
		{"sparse", []Execution{ms(0, 100), ms(5000, 5100), ms(60000, 62050)}, 1000 + 1000 + 2100, 3},
	} {
		billed, periods := c.ActivityBilledMs(tc.execs)
		if billed != tc.billed || periods != tc.periods {
			t.Errorf("%s: %d ms in %d periods, want %d ms in %d", tc.name, billed, periods, tc.billed, tc.periods)
		}
	}
}

// TestAzureMemoryRounding: on Consumption observed 129 MB bills as
// 256 MB, 20 MB as 128, 4 GB as 1536, and 10 executions of 30 ms bill
// 10 × 100 ms; on Flex a configured size that is no instance size bills as
// the next one up (1024 → 2048), above 4096 MB as 4096.
func TestAzureMemoryRounding(t *testing.T) {
	for _, tc := range []struct {
		catalog string
		mb      uint32
		billed  uint32
		want    string
	}{
		// 1 s × billed GB × 0.000016, + 10 × 0.20/1M = 0.000002
		{"azure-functions-consumption", 129, 256, "0.000006"},   // 0.25 GB-s
		{"azure-functions-consumption", 20, 128, "0.000004"},    // 0.125 GB-s
		{"azure-functions-consumption", 4096, 1536, "0.000026"}, // 1.5 GB-s
		// 10 × the 1 s minimum × billed GB × 0.000026, + 10 × 0.40/1M = 0.000004
		{"azure-functions-flex", 512, 512, "0.000134"},    // 5 GB-s
		{"azure-functions-flex", 1024, 2048, "0.000524"},  // 20 GB-s
		{"azure-functions-flex", 10240, 4096, "0.001044"}, // 40 GB-s
	} {
		c := lookup(t, tc.catalog)
		if got := c.BilledMemoryMB(tc.mb); got != tc.billed {
			t.Errorf("%s: %d MB bills as %d MB, want %d", tc.catalog, tc.mb, got, tc.billed)
		}
		got, err := c.Price(Usage{Provider: "azure", Region: "eastus", MemoryMB: tc.mb, Invocations: 10, BilledDurationMs: 300})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Total.Equal(dec(tc.want)) {
			t.Errorf("%s, %d MB: total %s, want %s (%v)", tc.catalog, tc.mb, got.Total, tc.want, got.Lines)
		}
		if renamed := tc.billed != tc.mb && tc.catalog == "azure-functions-flex"; renamed != strings.Contains(got.Note, "not an instance memory size") {
			t.Errorf("%s, %d MB: note %q", tc.catalog, tc.mb, got.Note)
		}
	}
	if got := lookup(t, "aws-lambda").BilledMemoryMB(1000); got != 1000 {
		t.Errorf("Lambda bills 1000 MB as %d MB", got)
	}
}

func TestBilledDurationMs(t *testing.T) {
	for _, tc := range []struct {
		catalog string
		ns      uint64
		want    uint64
	}{
		{"aws-lambda", 1_500_000, 2},
		{"aws-lambda", 0, 0},
		{"gcp-functions-gen1", 260_000_000, 300}, // Google's own example
		{"gcp-functions-gen2", 100_000_001, 200},
		{"azure-functions-consumption", 30_000_000, 100},
		{"azure-functions-consumption", 100_400_000, 101},
	} {
		if got := lookup(t, tc.catalog).BilledDurationMs(tc.ns); got != tc.want {
			t.Errorf("%s BilledDurationMs(%d) = %d, want %d", tc.catalog, tc.ns, got, tc.want)
		}
	}
}

// TestDatedPrices: a price change is a new entry, and usage is priced with
// the entry in effect on its day; a day before every entry is unpriced.
func TestDatedPrices(t *testing.T) {
	c, err := Parse([]byte(`
format: 2
name: dated
provider: aws
model: aws-lambda
currency: USD
source: https://example.com
region_groups: {std: [us-east-1]}
prices:
  - {meter: requests, unit: request, per: "1000000", regions: std, effective_from: "2024-01-01", effective_to: "2025-01-01", source: s, price: "0.20"}
  - {meter: requests, unit: request, per: "1000000", regions: std, effective_from: "2025-01-01", source: s, price: "0.25"}
  - {meter: duration.x86_64, unit: GB-second, regions: std, effective_from: "2024-01-01", source: s, price: "1"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.EffectiveDate != "2025-01-01" {
		t.Errorf("effective date %s", c.EffectiveDate)
	}
	for _, tc := range []struct{ at, want, note string }{
		{"2024-12-31", "0.2", ""},
		{"2025-01-01", "0.25", ""},
		{"", "0.25", ""}, // no date: the newest
		{"2023-06-01", "0", "no dated price for requests in us-east-1 on 2023-06-01"},
	} {
		u := Usage{Provider: "aws", Region: "us-east-1", Architecture: "x86_64", Invocations: 1_000_000}
		if tc.at != "" {
			u.At, _ = time.Parse(time.DateOnly, tc.at)
		}
		got, err := c.Price(u)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Total.Equal(dec(tc.want)) || !strings.Contains(got.Note, tc.note) {
			t.Errorf("%s: %s %q, want %s %q", tc.at, got.Total, got.Note, tc.want, tc.note)
		}
	}
}

func TestBillErrors(t *testing.T) {
	c := mustLoad(t)
	if _, err := ParseBilling("gross"); !errors.Is(err, ErrBadUsage) {
		t.Errorf("ParseBilling: %v", err)
	}
	if _, err := c.Bill("gross", nil); !errors.Is(err, ErrBadUsage) {
		t.Errorf("Bill(gross): %v", err)
	}
	outside := Usage{Provider: "aws", Region: "us-east-1", At: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := c.Bill(BillingEffective, []Period{{Month: month("2025-02"), Usage: []Usage{outside}}}); !errors.Is(err, ErrBadUsage) || !strings.Contains(err.Error(), "outside period 2025-02") {
		t.Errorf("usage outside its month: %v", err)
	}
	if _, err := c.Bill(BillingEffective, []Period{{Account: "a"}}); !errors.Is(err, ErrBadUsage) {
		t.Errorf("period without month: %v", err)
	}
}

// TestLoadDir: a directory's file replaces the embedded catalog of its
// name, a new name adds one, and a broken file fails naming itself.
func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	aws, err := catalogFiles.ReadFile("catalogs/aws-lambda.yaml")
	if err != nil {
		t.Fatal(err)
	}
	discounted := bytes.ReplaceAll(aws, []byte(`price: "0.20"`), []byte(`price: "0.10"`))
	if bytes.Equal(discounted, aws) {
		t.Fatal("override did not change the request price")
	}
	mustWrite(t, filepath.Join(dir, "aws-lambda.yaml"), discounted)
	mustWrite(t, filepath.Join(dir, "aws-lambda-eu.yaml"), bytes.ReplaceAll(discounted, []byte("name: aws-lambda"), []byte("name: aws-lambda-eu")))
	all, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 7 || all["aws-lambda-eu"] == nil || all["cloudflare-workers-standard"] == nil {
		t.Errorf("catalogs %v", slices.Sorted(func(yield func(string) bool) {
			for k := range all {
				if !yield(k) {
					return
				}
			}
		}))
	}
	got, err := all["aws-lambda"].Price(Usage{Provider: "aws", Region: "us-east-1", Invocations: 1_000_000})
	if err != nil || !got.Request.Equal(dec("0.1")) {
		t.Errorf("overridden request price: %v %v", got.Request, err)
	}
	mustWrite(t, filepath.Join(dir, "broken.yaml"), []byte("format: 2\nname: broken\n"))
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "broken.yaml") {
		t.Errorf("broken file: %v", err)
	}
	if _, err := LoadDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing directory: no error")
	}
}

func mustWrite(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pricedUsage is a random usage each catalog prices in full: memory stays
// below 8 GB, the largest size every catalog prices (a size a catalog
// does not know is unpriced, which would read as "cheaper").
func pricedUsage(c *Catalog, r *rand.Rand) Usage {
	region := "us-east-1"
	switch c.Provider {
	case "gcp":
		region = "us-central1"
	case "azure":
		region = "eastus"
	case "cloudflare":
		region = "earth"
	}
	inv := r.Uint64N(50_000_000)
	return Usage{Provider: c.Provider, Region: region, Architecture: []string{"x86_64", "arm64"}[r.IntN(2)],
		MemoryMB: uint32(128 + r.IntN(4000)), Invocations: inv, BilledDurationMs: inv * r.Uint64N(3000),
		At: time.Date(2025, 9, 1+r.IntN(28), 0, 0, 0, 0, time.UTC)}
}

// TestMonotone: for every catalog and both billings, the total never
// decreases when duration, memory or invocation count grows (with the
// month's prior usage fixed).
func TestMonotone(t *testing.T) {
	all, err := Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 7))
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range all {
			if !yield(k) {
				return
			}
		}
	}) {
		c := all[name]
		for i := 0; i < 300; i++ {
			u, prior := pricedUsage(c, r), pricedUsage(c, r)
			grown := map[string]Usage{}
			g := u
			g.BilledDurationMs += 1 + r.Uint64N(1_000_000_000)
			grown["duration"] = g
			g = u
			g.MemoryMB += uint32(1 + r.IntN(4000))
			grown["memory"] = g
			g = u
			g.Invocations += 1 + r.Uint64N(5_000_000)
			grown["invocations"] = g
			for _, billing := range []Billing{BillingList, BillingEffective} {
				total := func(u Usage) decimal.Decimal {
					return billOne(t, c, billing, Period{Account: "a", Month: month("2025-09"), Prior: []Usage{prior}, Usage: []Usage{u}}).Total
				}
				base := total(u)
				for what, g := range grown {
					if got := total(g); got.LessThan(base) {
						t.Fatalf("%s %s: more %s costs less: %s < %s\nbase %+v\ngrown %+v", name, billing, what, got, base, u, g)
					}
				}
			}
		}
	}
}

// TestMarginalPrice: for every price of every catalog, one more unit never
// costs more at a higher monthly volume — across the tier boundaries too.
func TestMarginalPrice(t *testing.T) {
	all, err := Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	volumes := []string{"0", "1", "399999", "400000", "5999999999", "6000000000", "6000000001", "14999999999.5", "15000000000", "1e12"}
	for name, c := range all {
		for i := range c.Prices {
			e := &c.Prices[i]
			prev := decimal.Decimal{}
			for j, v := range volumes {
				got, err := c.cost(e, dec(v), decimal.NewFromInt(1), true)
				if err != nil {
					t.Fatal(err)
				}
				if j > 0 && got.GreaterThan(prev) {
					t.Errorf("%s %s: unit at volume %s costs %s, more than %s below it", name, e.Meter, v, got, prev)
				}
				prev = got
			}
		}
	}
	// And the AWS tiers are where the page says: the unit at 6e9 is
	// the first at tier 2, the one at 15e9 the first at tier 3.
	c := mustLoad(t)
	e, _ := c.entry("duration.x86_64", "us-east-1", "2025-09-01")
	for v, want := range map[string]string{"5999999999": "0.0000166667", "6000000000": "0.000015", "15000000000": "0.0000133334"} {
		if got, _ := c.cost(e, dec(v), decimal.NewFromInt(1), true); !got.Equal(dec(want)) {
			t.Errorf("x86_64 unit at %s: %s, want %s", v, got, want)
		}
	}
	// Arm's tiers are wider: first 7.5 billion GB-s, next 11.25 billion
	// (to 18.75 billion), then the lowest price.
	e, _ = c.entry("duration.arm64", "us-east-1", "2025-09-01")
	for v, want := range map[string]string{"7499999999": "0.0000133334", "7500000000": "0.0000120001",
		"18749999999": "0.0000120001", "18750000000": "0.0000106667"} {
		if got, _ := c.cost(e, dec(v), decimal.NewFromInt(1), true); !got.Equal(dec(want)) {
			t.Errorf("arm64 unit at %s: %s, want %s", v, got, want)
		}
	}
}
