package analysis_test

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/faasight/faasight/analysis"
	"github.com/faasight/faasight/analysis/pricing"
	"github.com/faasight/faasight/ingest"
	"github.com/faasight/faasight/internal/chtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chtest.Shutdown()
	os.Exit(code)
}

// env is one test's database with the schema migrated.
type env struct {
	conn    driver.Conn
	db      string
	writer  *ingest.Writer
	reports *analysis.Reports
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	srv := chtest.Start(tb)
	db := chtest.NewDatabase(tb, srv)
	conn := chtest.Conn(tb, srv, db)
	ctx := context.Background()
	if _, err := ingest.Migrate(ctx, conn, db); err != nil {
		tb.Fatal(err)
	}
	w, err := ingest.NewWriter(conn, db)
	if err != nil {
		tb.Fatal(err)
	}
	catalog, err := pricing.Load()
	if err != nil {
		tb.Fatal(err)
	}
	reports, err := analysis.New(conn, db, catalog, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &env{conn: conn, db: db, writer: w, reports: reports}
}

// write stores invs in batches of batchSize.
func (e *env) write(tb testing.TB, invs []ingest.Invocation, batchSize int) {
	tb.Helper()
	for chunk := range slices.Chunk(invs, batchSize) {
		if err := e.writer.Write(context.Background(), chunk, nil); err != nil {
			tb.Fatal(err)
		}
	}
}

// stopMerges keeps duplicate rows apart: a background merge could
// otherwise collapse them before a report runs and hide a missing FINAL.
func (e *env) stopMerges(tb testing.TB) {
	tb.Helper()
	if err := e.conn.Exec(context.Background(), "SYSTEM STOP MERGES `"+e.db+"`.invocations"); err != nil {
		tb.Fatal(err)
	}
}

// The fixture's window crosses midnight, so that it spans two date
// partitions, and the generator also writes invocations just outside it.
var (
	from   = time.Date(2025, 9, 1, 21, 0, 0, 0, time.UTC)
	to     = from.Add(6 * time.Hour)
	tenant = "acme"
)

// fnSpec describes one generated function.
type fnSpec struct {
	name, provider, region, runtime, arch string
	memory                                []uint32 // the configuration changes halfway through the time range
	n                                     int      // invocations, inside and outside the window
	coldPermille, errPermille             int
	meanMs                                float64
	reportsBilled                         bool // half the invocations carry the provider's billed duration
}

var fixtureFunctions = []fnSpec{
	{name: "api-gateway", provider: "aws", region: "us-east-1", runtime: "python3.12", arch: "x86_64",
		memory: []uint32{128, 256}, n: 1500, coldPermille: 40, errPermille: 30, meanMs: 45},
	{name: "image-resize", provider: "aws", region: "eu-west-1", runtime: "nodejs20.x", arch: "arm64",
		memory: []uint32{1024}, n: 1000, coldPermille: 80, errPermille: 10, meanMs: 320, reportsBilled: true},
	// No host.arch: priced as x86_64, with a note.
	{name: "nightly-report", provider: "aws", region: "us-west-2", runtime: "go1.x", arch: "",
		memory: []uint32{512}, n: 300, coldPermille: 200, errPermille: 0, meanMs: 1800},
	// Not in the catalog: listed with zero cost and a note.
	{name: "gcp-hook", provider: "gcp", region: "europe-west1", runtime: "python312", arch: "x86_64",
		memory: []uint32{256}, n: 200, coldPermille: 100, errPermille: 50, meanMs: 90},
}

// generate is deterministic for a seed. Start times are unique per
// function (ties would make "the most recent configuration" ambiguous) and
// include invocations exactly on the window's edges.
func generate(seed uint64, tenant string, specs []fnSpec) []ingest.Invocation {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	lo := from.Add(-30 * time.Minute).UnixNano()
	span := int64(7 * time.Hour) // 30 minutes either side of the window
	var out []ingest.Invocation
	for fi, f := range specs {
		seen := map[uint64]bool{}
		starts := []uint64{uint64(from.UnixNano()), uint64(to.UnixNano()), uint64(from.Add(15 * time.Minute).UnixNano())}
		for _, s := range starts {
			seen[s] = true
		}
		for len(starts) < f.n {
			s := uint64(lo + rng.Int64N(span))
			if !seen[s] {
				seen[s] = true
				starts = append(starts, s)
			}
		}
		slices.Sort(starts)
		for i, start := range starts {
			inv := ingest.Invocation{
				Tenant: tenant, StartNs: start, Function: f.name,
				Provider: f.provider, Platform: f.provider + "_functions", Region: f.region, Runtime: f.runtime,
				Architecture: f.arch, MemoryMB: f.memory[i*len(f.memory)/len(starts)], Trigger: "http",
				TraceID:      fmt.Sprintf("%08x%08x%016x", seed, fi, i),
				SpanID:       fmt.Sprintf("%04x%012x", fi, i),
				InvocationID: fmt.Sprintf("inv-%d-%d", fi, i),
				ColdStart:    rng.IntN(1000) < f.coldPermille,
				Error:        rng.IntN(1000) < f.errPermille,
			}
			// Log-normal durations with nanosecond detail, so that rounding
			// up to the billed millisecond matters.
			inv.DurationNs = uint64(f.meanMs*1e6*math.Exp(0.6*rng.NormFloat64())) + 1
			if inv.ColdStart {
				inv.DurationNs += inv.DurationNs / 2
				if rng.IntN(10) > 0 { // some runtimes do not report INIT
					inv.InitDurationNs = 80_000_000 + uint64(rng.Int64N(520_000_000))
				}
			}
			if f.reportsBilled && rng.IntN(2) == 0 {
				// The provider's own figure, deliberately not what the span
				// implies, so that using it is visible in the cost.
				inv.BilledDurationMs = (inv.DurationNs+inv.InitDurationNs)/1_000_000 + 3
			}
			out = append(out, inv)
		}
	}
	// Shuffled so that batches mix functions and times, as exports do.
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// ---- ground truth, computed here in plain Go from what was written ----

func inWindow(inv ingest.Invocation, tenant string, from, to time.Time) bool {
	return inv.Tenant == tenant && inv.StartNs >= uint64(from.UnixNano()) && inv.StartNs < uint64(to.UnixNano())
}

// nearestRank is the value at rank ⌈p·n⌉ (1-based) of sorted, p = permille/1000.
func nearestRank(sorted []uint64, permille int) uint64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := n * permille / 1000
	if n*permille%1000 != 0 {
		rank++
	}
	return sorted[rank-1]
}

func ms(ns uint64) float64 { return float64(ns) / 1e6 }

func truePercentiles(durations []uint64) analysis.Percentiles {
	s := slices.Clone(durations)
	slices.Sort(s)
	if len(s) == 0 {
		return analysis.Percentiles{}
	}
	return analysis.Percentiles{
		P50: ms(nearestRank(s, 500)), P90: ms(nearestRank(s, 900)),
		P95: ms(nearestRank(s, 950)), P99: ms(nearestRank(s, 990)), Max: ms(s[len(s)-1]),
	}
}

// billedByHand: the provider's figure if any, else duration (+ INIT on a
// cold start) rounded up to the millisecond.
func billedByHand(inv ingest.Invocation) uint64 {
	if inv.BilledDurationMs > 0 {
		return inv.BilledDurationMs
	}
	ns := inv.DurationNs
	if inv.ColdStart {
		ns += inv.InitDurationNs
	}
	msec := ns / 1_000_000
	if ns%1_000_000 != 0 {
		msec++
	}
	return msec
}

// Prices as written on https://aws.amazon.com/lambda/pricing/, typed here
// again rather than read from the catalog under test.
var (
	handRegions     = map[string]bool{"us-east-1": true, "us-east-2": true, "us-west-2": true, "eu-west-1": true, "eu-central-1": true, "ap-southeast-1": true}
	handGBSecond    = map[string]string{"x86_64": "0.0000166667", "arm64": "0.0000133334"}
	handPerRequest  = "0.0000002" // 0.20 per million
	handMBPerGB     = big.NewRat(1024, 1)
	handMsPerSecond = big.NewRat(1000, 1)
)

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

type costKey struct {
	function, provider, region, arch string
	memory                           uint32
}

type costTruth struct {
	invocations, billedMs uint64
	gbs, request, compute *big.Rat
	priced                bool
}

func (c costTruth) total() *big.Rat { return new(big.Rat).Add(c.request, c.compute) }

func trueCosts(invs []ingest.Invocation, tenant string, from, to time.Time) map[costKey]costTruth {
	out := map[costKey]costTruth{}
	for _, inv := range invs {
		if !inWindow(inv, tenant, from, to) {
			continue
		}
		k := costKey{inv.Function, inv.Provider, inv.Region, inv.Architecture, inv.MemoryMB}
		c := out[k]
		c.invocations++
		c.billedMs += billedByHand(inv)
		out[k] = c
	}
	for k, c := range out {
		// GB-s = billed ms × MB / 1024 / 1000
		c.gbs = new(big.Rat).SetUint64(c.billedMs)
		c.gbs.Mul(c.gbs, new(big.Rat).SetUint64(uint64(k.memory)))
		c.gbs.Quo(c.gbs, handMBPerGB)
		c.gbs.Quo(c.gbs, handMsPerSecond)
		c.request, c.compute = new(big.Rat), new(big.Rat)
		if k.provider == "aws" && handRegions[k.region] {
			c.priced = true
			arch := k.arch
			if arch == "" {
				arch = "x86_64"
			}
			c.request.Mul(new(big.Rat).SetUint64(c.invocations), rat(handPerRequest))
			c.compute.Mul(c.gbs, rat(handGBSecond[arch]))
		}
		out[k] = c
	}
	return out
}

func f64(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}

// closeUSD: the report's float is the exact amount rounded once; 1e-9 USD
// is the brief's bound.
func closeUSD(a, b float64) bool { return math.Abs(a-b) <= 1e-9 }

// group selects the window's invocations of one function.
func group(invs []ingest.Invocation, tenant, function string, from, to time.Time) []ingest.Invocation {
	var out []ingest.Invocation
	for _, inv := range invs {
		if inv.Function == function && inWindow(inv, tenant, from, to) {
			out = append(out, inv)
		}
	}
	return out
}

func durationsOf(invs []ingest.Invocation, keep func(ingest.Invocation) bool, value func(ingest.Invocation) uint64) []uint64 {
	var out []uint64
	for _, inv := range invs {
		if keep(inv) {
			out = append(out, value(inv))
		}
	}
	return out
}

func bucketOf(inv ingest.Invocation, from time.Time, step time.Duration) int {
	return int((inv.StartNs - uint64(from.UnixNano())) / uint64(step))
}
