package pricing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func mustLoad(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Expected values are computed by hand, arithmetic in the comments.
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
			// AWS pricing page example shape: 3M requests, 120 ms each, 512 MB arm64:
			// 360,000,000 ms × 0.5 GB / 1000 = 180,000 GB-s × 0.0000133334 = 2.400012;
			// requests 3 × 0.20 = 0.60.
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
			name: "no architecture: x86_64 with a note",
			u:    Usage{Provider: "aws", Region: "us-east-1", MemoryMB: 1024, Invocations: 1, BilledDurationMs: 1000},
			gbs:  "1", request: "0.0000002", compute: "0.0000166667", total: "0.0000168667", noteHint: "priced as x86_64",
		},
		{
			name: "other provider: unpriced",
			u:    Usage{Provider: "gcp", Region: "europe-west1", MemoryMB: 256, Invocations: 10, BilledDurationMs: 4000},
			gbs:  "1", request: "0", compute: "0", total: "0", noteHint: `provider "gcp"`,
		},
		{
			name: "unknown region: unpriced",
			u:    Usage{Provider: "aws", Region: "mars-north-1", MemoryMB: 256, Invocations: 10, BilledDurationMs: 4000},
			gbs:  "1", request: "0", compute: "0", total: "0", noteHint: "mars-north-1",
		},
		{
			name: "unknown memory: requests only",
			u:    Usage{Provider: "aws", Region: "us-east-1", Architecture: "arm64", Invocations: 5, BilledDurationMs: 4000},
			gbs:  "0", request: "0.000001", compute: "0", total: "0.000001", noteHint: "memory unknown",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Price(tc.u)
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

func TestBilledMs(t *testing.T) {
	for _, tc := range []struct {
		dur, init uint64
		cold      bool
		reported  uint64
		want      uint64
	}{
		{1_500_000, 117_810_000, true, 0, 120}, // AWS REPORT: 1.50 + 117.81 → 120
		{1_500_000, 117_810_000, false, 0, 2},  // warm: INIT not billed
		{2_000_000, 0, false, 0, 2},            // exact ms stays
		{2_000_001, 0, false, 0, 3},            // any fraction rounds up
		{0, 0, false, 0, 0},
		{5_000_000, 0, false, 7, 7}, // the provider's figure wins
	} {
		if got := BilledMs(tc.dur, tc.init, tc.cold, tc.reported); got != tc.want {
			t.Errorf("BilledMs(%d, %d, %v, %d) = %d, want %d", tc.dur, tc.init, tc.cold, tc.reported, got, tc.want)
		}
	}
}

func TestCatalogGolden(t *testing.T) {
	c := mustLoad(t)
	if c.Name != "aws-lambda" || c.EffectiveDate != "2025-08-01" || c.Source != "https://aws.amazon.com/lambda/pricing/" {
		t.Errorf("catalog header: %+v", c)
	}
	for region, p := range c.Regions {
		if p.RequestPerMillion != "0.20" || p.GBSecond["x86_64"] != "0.0000166667" || p.GBSecond["arm64"] != "0.0000133334" {
			t.Errorf("%s: %+v", region, p)
		}
	}
}

// TestBadCatalogs: each testdata/*.bad.yaml holds, in its first line, a
// comment with the text the error must contain.
func TestBadCatalogs(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) == 0 {
		t.Fatal("no bad catalogs")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(data), "\n")
		want := strings.TrimSpace(strings.TrimPrefix(first, "#"))
		_, err = Parse(data)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to contain %q", f, err, want)
		}
	}
}
