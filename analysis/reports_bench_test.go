package analysis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/faasight/faasight/analysis"
)

// benchRows is the workload size: ~100k invocations, 10 functions.
const benchRows = 100_000

func benchEnv(b *testing.B) (*env, analysis.Range) {
	b.Helper()
	e := newEnv(b)
	specs := make([]fnSpec, 10)
	for i := range specs {
		specs[i] = fnSpec{name: fmt.Sprintf("fn-%02d", i), provider: "aws", region: "us-east-1", runtime: "go1.x",
			arch: []string{"x86_64", "arm64"}[i%2], memory: []uint32{128, 512}, n: benchRows / len(specs),
			coldPermille: 30, errPermille: 10, meanMs: 50 + 20*float64(i)}
	}
	e.write(b, generate(42, tenant, specs), 50_000)
	// Merged, as a long-lived table mostly is: FINAL then has little to do.
	if err := e.conn.Exec(context.Background(), "OPTIMIZE TABLE `"+e.db+"`.invocations FINAL"); err != nil {
		b.Fatal(err)
	}
	// The generator spreads rows over 7 hours; the window holds 6 of them.
	return e, analysis.Range{Tenant: tenant, From: from, To: to}
}

func BenchmarkFunctions(b *testing.B) {
	e, r := benchEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		fs, err := e.reports.Functions(ctx, r)
		if err != nil || len(fs) != 10 {
			b.Fatalf("%d functions, %v", len(fs), err)
		}
	}
	b.ReportMetric(float64(benchRows)*6/7*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkColdStarts(b *testing.B) {
	e, r := benchEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.reports.ColdStarts(ctx, r, "fn-03", time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompare prices the workload on every catalog; the Azure Flex
// column reads every invocation back (instance activity periods), so
// compare with BenchmarkFunctions, one aggregate over the same rows.
func BenchmarkCompare(b *testing.B) {
	e, r := benchEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		rep, err := e.reports.Compare(ctx, r, "")
		if err != nil || len(rep.Items) == 0 {
			b.Fatalf("%d items, %v", len(rep.Items), err)
		}
	}
	b.ReportMetric(float64(benchRows)*6/7*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
