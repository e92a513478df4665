package pricing

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/faasight/faasight/internal/golden"
)

func mustLoad(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Expected values are computed by hand, arithmetic in the comments; none
// comes from the code under test.
func TestPrice(t *testing.T) {
	c := mustLoad(t)
	for _, tc := range []struct {
		name                                   string
		u                                      Usage
		gbs, request, compute, total, noteHint string
	}{
		{
			// 1,000,000 × 120 ms at 128 MB: 120,000,000 ms × 128/1024 GB / 1000
			// = 15,000 GB-s; × 0.0000166667 = 0.2500005; requests 1M × 0.20/1M = 0.20.
			name: "1M x 120ms at 128MB x86_64",
			u:    Usage{Provider: "aws", Region: "us-east-1", Architecture: "x86_64", MemoryMB: 128, Invocations: 1_000_000, BilledDurationMs: 120_000_000},
			gbs:  "15000", request: "0.2", compute: "0.2500005", total: "0.4500005",
		},
		{
			// AWS pricing page's classic example: 512 MB, 3M invocations of
			// 1 s each. 3,000,000 s × 0.5 GB = 1,500,000 GB-s × 0.0000166667
			// = 25.00005; requests 3 × 0.20 = 0.60; total 25.60005. (AWS's
			// page then subtracts the free tier — 400,000 GB-s and 1M
			// requests, giving 18.34 + 0.40 — which faasight does not model
			// yet: this is the gross list cost.)
			name: "AWS example: 3M x 1s at 512MB x86_64",
			u:    Usage{Provider: "aws", Region: "us-east-1", Architecture: "x86_64", MemoryMB: 512, Invocations: 3_000_000, BilledDurationMs: 3_000_000_000},
			gbs:  "1500000", request: "0.6", compute: "25.00005", total: "25.60005",
		},
		{
			// The inputs of the AWS pricing page's mobile backend example
			// (x86 there), on arm64 at list: 3M requests, 120 ms each,
			// 1536 MB arm64: 360,000 s × 1.5 GB = 540,000 GB-s
			// × 0.0000133334 = 7.200036; requests 0.60; total 7.800036.
			name: "AWS example: 3M x 120ms at 1536MB arm64",
			u:    Usage{Provider: "aws", Region: "us-east-1", Architecture: "arm64", MemoryMB: 1536, Invocations: 3_000_000, BilledDurationMs: 360_000_000},
			gbs:  "540000", request: "0.6", compute: "7.200036", total: "7.800036",
		},
		{
			// 3M × 120 ms at 512 MB arm64 in eu-west-1 (standard prices):
			// 360,000,000 ms × 0.5 GB / 1000 = 180,000 GB-s × 0.0000133334
			// = 2.400012; requests 0.60.
			name: "3M x 120ms at 512MB arm64",
			u:    Usage{Provider: "aws", Region: "eu-west-1", Architecture: "arm64", MemoryMB: 512, Invocations: 3_000_000, BilledDurationMs: 360_000_000},
			gbs:  "180000", request: "0.6", compute: "2.400012", total: "3.000012",
		},
		{
			// 7 invocations, 1,001 ms at 1769 MB: 1001 × 1769 / 1024 / 1000
			// = 1770769/1024000 = 1.7292666015625 GB-s (exact);
			// × 0.0000166667 = 0.00002882116766826171875;
			// requests 7 × 0.20 / 1M = 0.0000014.
			name: "odd memory size",
			u:    Usage{Provider: "aws", Region: "us-east-1", Architecture: "x86_64", MemoryMB: 1769, Invocations: 7, BilledDurationMs: 1001},
			gbs:  "1.7292666015625", request: "0.0000014",
			compute: "0.00002882116766826171875", total: "0.00003022116766826171875",
		},
		{
			// The largest billed duration there is must not overflow:
			// 18446744073709551615 ms × 128 / 1024 / 1000
			// = 18446744073709551615 / 8000 = 2305843009213693.951875 GB-s;
			// × 0.0000133334 = 30744727179.049866937930125.
			name: "uint64 max billed ms",
			u:    Usage{Provider: "aws", Region: "us-east-2", Architecture: "arm64", MemoryMB: 128, BilledDurationMs: 18446744073709551615},
			gbs:  "2305843009213693.951875", request: "0",
			compute: "30744727179.049866937930125", total: "30744727179.049866937930125",
		},
		{
			// 1 × 1000 ms at 1024 MB = 1 GB-s × 0.0000166667; request 0.0000002.
			name: "no architecture: x86_64 with a note",
			u:    Usage{Provider: "aws", Region: "us-east-1", MemoryMB: 1024, Invocations: 1, BilledDurationMs: 1000},
			gbs:  "1", request: "0.0000002", compute: "0.0000166667", total: "0.0000168667", noteHint: "priced as x86_64",
		},
		{
			// 4000 ms × 256 MB = 1 GB-s measured, but nothing priced.
			name: "other provider: unpriced",
			u:    Usage{Provider: "gcp", Region: "europe-west1", MemoryMB: 256, Invocations: 10, BilledDurationMs: 4000},
			gbs:  "1", request: "0", compute: "0", total: "0", noteHint: "no aws-lambda price for provider gcp",
		},
		{
			name: "unknown region: unpriced",
			u:    Usage{Provider: "aws", Region: "xx-yy-1", MemoryMB: 256, Invocations: 10, BilledDurationMs: 4000},
			gbs:  "1", request: "0", compute: "0", total: "0", noteHint: "region xx-yy-1 not in catalog aws-lambda",
		},
		{
			name: "unknown architecture: unpriced",
			u:    Usage{Provider: "aws", Region: "us-east-1", Architecture: "riscv64", MemoryMB: 256, Invocations: 10, BilledDurationMs: 4000},
			gbs:  "1", request: "0", compute: "0", total: "0", noteHint: "architecture riscv64",
		},
		{
			// 5 × 0.20 / 1M = 0.000001; no memory, no GB-seconds.
			name: "unknown memory: requests only",
			u:    Usage{Provider: "aws", Region: "us-east-1", Architecture: "arm64", Invocations: 5, BilledDurationMs: 4000},
			gbs:  "0", request: "0.000001", compute: "0", total: "0.000001", noteHint: "memory unknown",
		},
		{
			name: "nothing used",
			u:    Usage{Provider: "aws", Region: "us-east-1", Architecture: "arm64", MemoryMB: 128},
			gbs:  "0", request: "0", compute: "0", total: "0",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Price(tc.u)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct {
				field string
				got   decimal.Decimal
				want  string
			}{{"gb_seconds", got.GBSeconds, tc.gbs}, {"request", got.Request, tc.request}, {"compute", got.Compute, tc.compute}, {"total", got.Total, tc.total}} {
				if !f.got.Equal(decimal.RequireFromString(f.want)) {
					t.Errorf("%s = %s, want %s", f.field, f.got, f.want)
				}
			}
			if tc.noteHint == "" && got.Note != "" || !strings.Contains(got.Note, tc.noteHint) {
				t.Errorf("note %q, want it to mention %q", got.Note, tc.noteHint)
			}
		})
	}
}

// TestPriceFloat: the float a report shows is the exact amount rounded
// once, so it is within 1e-9 USD (and in fact within one ulp).
func TestPriceFloat(t *testing.T) {
	c := mustLoad(t)
	got, err := c.Price(Usage{Provider: "aws", Region: "us-east-1", Architecture: "x86_64", MemoryMB: 128, Invocations: 1_000_000, BilledDurationMs: 120_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if f := got.Total.InexactFloat64(); f != 0.4500005 {
		t.Errorf("total %v, want 0.4500005", f)
	}
}

// TestPriceBrokenCatalog: a catalog built in code skips Parse's validation;
// its bad price is an error, not a panic and not a silent zero.
func TestPriceBrokenCatalog(t *testing.T) {
	c := &Catalog{Name: "hand-made", Provider: "aws", Model: "aws-lambda",
		RegionGroups: map[string][]string{"std": {"us-east-1"}},
		Prices: []PriceEntry{
			{Meter: "requests", Unit: "request", Per: "1000000", Regions: "std", EffectiveFrom: "2024-01-01", Price: "0.20"},
			{Meter: "duration.x86_64", Unit: "GB-second", Regions: "std", EffectiveFrom: "2024-01-01", Price: "cheap"},
		}}
	_, err := c.Price(Usage{Provider: "aws", Region: "us-east-1", Architecture: "x86_64", MemoryMB: 128, Invocations: 1, BilledDurationMs: 1})
	if err == nil || !strings.Contains(err.Error(), "duration.x86_64 price") {
		t.Fatalf("error %v, want it to name duration.x86_64 price", err)
	}
}

func TestBilledMs(t *testing.T) {
	for _, tc := range []struct {
		dur, init uint64
		cold      bool
		reported  uint64
		want      uint64
	}{
		{1_500_000, 117_810_000, true, 0, 120}, // AWS REPORT: 1.50 + 117.81 = 119.31 → 120
		{1_500_000, 117_810_000, false, 0, 2},  // warm: INIT not billed; 1.5 → 2
		{2_000_000, 0, false, 0, 2},            // exact ms stays
		{2_000_001, 0, false, 0, 3},            // any fraction rounds up
		{1, 0, false, 0, 1},                    // even one nanosecond
		{0, 0, false, 0, 0},
		{999_999, 1, true, 0, 1},    // 999,999 + 1 ns = exactly 1 ms
		{5_000_000, 0, false, 7, 7}, // the provider's figure wins
	} {
		if got := BilledMs(tc.dur, tc.init, tc.cold, tc.reported); got != tc.want {
			t.Errorf("BilledMs(%d, %d, %v, %d) = %d, want %d", tc.dur, tc.init, tc.cold, tc.reported, got, tc.want)
		}
	}
}

// TestCatalogGolden: every embedded catalog loads to exactly what
// testdata/<name>.golden.json holds, so a price change is a reviewed diff
// (regenerate with go test ./analysis/pricing -run Golden -update).
func TestCatalogGolden(t *testing.T) {
	all, err := Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range all {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			// Check the prices against their sources before -update.
			golden.Check(t, filepath.Join("testdata", name+".golden.json"), got)
		})
	}
}

// TestStandardRegions checks the brief's prices by hand, independently of
// the golden file: every listed region carries AWS's standard prices.
func TestStandardRegions(t *testing.T) {
	c := mustLoad(t)
	if c.Name != "aws-lambda" || c.Provider != "aws" || c.Currency != "USD" ||
		c.EffectiveDate != "2025-10-01" || c.Source != "https://aws.amazon.com/lambda/pricing/" {
		t.Errorf("catalog header: %+v", c)
	}
	for _, region := range []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"} {
		for meter, want := range map[string]string{"requests": "0.20", "duration.x86_64": "0.0000166667", "duration.arm64": "0.0000133334",
			"provisioned.x86_64": "0.0000041667", "provisioned_duration.x86_64": "0.0000097222", "ephemeral_storage": "0.0000000309",
			"provisioned.arm64": "0.0000033334", "provisioned_duration.arm64": "0.0000077778",
			"snapstart_cache": "0.0000015046", "snapstart_restore": "0.0001397998"} {
			e, ok := c.entry(meter, region, "2025-10-15")
			if !ok {
				t.Errorf("%s: no %s price", region, meter)
				continue
			}
			got := e.Price
			if len(e.Tiers) > 0 {
				got = e.Tiers[0].Price
			}
			if got != want {
				t.Errorf("%s %s = %s, want %s", region, meter, got, want)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	all, err := Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	for name := range all {
		if c, err := Lookup(name); err != nil || c.Name != name {
			t.Errorf("Lookup(%q) = %v, %v", name, c, err)
		}
	}
	if _, err := Lookup("azure-functions-premium"); err == nil || !strings.Contains(err.Error(), "aws-lambda") {
		t.Errorf("Lookup of a missing catalog: %v, want an error listing the catalogs there are", err)
	}
}

// TestBadCatalogs: each testdata/*.bad.yaml starts with comment lines,
// each a text the error must contain — all of them, because Validate
// reports every problem at once.
func TestBadCatalogs(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad catalogs (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, line := range strings.Split(string(data), "\n") {
				if !strings.HasPrefix(line, "#") {
					break
				}
				want = append(want, strings.TrimSpace(strings.TrimPrefix(line, "#")))
			}
			if len(want) == 0 {
				t.Fatal("no expected error lines")
			}
			_, err = Parse(data)
			if err == nil {
				t.Fatal("parsed without error")
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}
