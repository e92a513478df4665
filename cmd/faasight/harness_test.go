package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/faasight/faasight/ingest"
	"github.com/faasight/faasight/internal/chtest"
	"github.com/faasight/faasight/loadgen/sample"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// running is a `faasight serve` started in-process by a test.
type running struct {
	api, grpc, http string
	cancel          context.CancelFunc
	done            chan error
}

func freeAddr(t testing.TB) string {
	t.Helper()
	addr, err := localFreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// startServe runs serve with dsn (empty: the embedded ClickHouse) and data
// in dataDir, and waits until /readyz answers 200.
func startServe(t testing.TB, dsn, dataDir string, tweak func(*serveOptions)) *running {
	t.Helper()
	o := serveOptions{
		dataDir: dataDir, dsn: dsn,
		grpcAddr: freeAddr(t), httpAddr: freeAddr(t), apiAddr: freeAddr(t),
		tenant: "default", queueSize: 2_000_000, logLevel: "error", chTCPPort: 19000,
	}
	if tweak != nil {
		tweak(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{api: "http://" + o.apiAddr, grpc: o.grpcAddr, http: o.httpAddr, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- serve(ctx, o) }()
	t.Cleanup(func() { r.stop(t) })
	waitFor(t, 90*time.Second, "serve ready", func() (bool, string) {
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("serve exited: %v", err)
		default:
		}
		resp, err := http.Get(r.api + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return r
}

func (r *running) stop(t testing.TB) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("serve returned: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Errorf("serve did not stop within 60s")
	}
}

// rawCount counts stored invocation rows of tenant, duplicates included.
func rawCount(t testing.TB, conn ingest.Conn, db, tenant string) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT count() FROM "+db+".invocations WHERE tenant = ?", tenant).Scan(&n); err != nil {
		t.Logf("raw count: %v", err)
	}
	return n
}

// get fetches path as tenant and decodes JSON into v (if not nil).
func (r *running) get(t testing.TB, path, tenant string, v any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.api+path, nil)
	if tenant != "" {
		req.Header.Set("X-Faasight-Tenant", tenant)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode == http.StatusOK && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: decode %q: %v", path, body, err)
		}
	}
	return resp.StatusCode, string(body)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not reached within %v (last: %s)", what, d, last)
}

type functionsResponse struct {
	Functions []struct {
		Name          string  `json:"name"`
		Provider      string  `json:"provider"`
		Region        string  `json:"region"`
		Architecture  string  `json:"architecture"`
		MemoryMB      uint32  `json:"memory_mb"`
		Invocations   uint64  `json:"invocations"`
		Errors        uint64  `json:"errors"`
		ColdStarts    uint64  `json:"cold_starts"`
		ColdStartRate float64 `json:"cold_start_rate"`
		DurationMs    struct {
			P50, P90, P95, P99 float64
		} `json:"duration_ms"`
		CostUSD float64 `json:"cost_usd"`
	} `json:"functions"`
}

// totalInvocations is what /api/v1/functions reports for tenant over the
// window [from, to).
func (r *running) totalInvocations(t testing.TB, tenant string, from, to time.Time) uint64 {
	var fr functionsResponse
	code, body := r.get(t, fmt.Sprintf("/api/v1/functions?from=%d&to=%d", from.Unix(), to.Unix()), tenant, &fr)
	if code != http.StatusOK {
		return 0
	}
	_ = body
	var n uint64
	for _, f := range fr.Functions {
		n += f.Invocations
	}
	return n
}

// truth is computed from what was sent, independently of faasight's code.
type truth struct {
	invocations, errors, cold int
	durations                 []time.Duration // sorted
	initDurations             []time.Duration
	coldDur, warmDur          []time.Duration
	billedMs                  int64
}

func truthOf(invs []sample.Invocation) map[string]*truth {
	out := map[string]*truth{}
	for _, inv := range invs {
		tr := out[inv.Function]
		if tr == nil {
			tr = &truth{}
			out[inv.Function] = tr
		}
		tr.invocations++
		if inv.Error {
			tr.errors++
		}
		tr.durations = append(tr.durations, inv.Duration)
		billed := inv.Duration
		if inv.ColdStart {
			tr.cold++
			tr.coldDur = append(tr.coldDur, inv.Duration)
			tr.initDurations = append(tr.initDurations, inv.InitDuration)
			billed += inv.InitDuration
		} else {
			tr.warmDur = append(tr.warmDur, inv.Duration)
		}
		// AWS bills duration (+ INIT on a cold start) rounded up to 1 ms.
		tr.billedMs += int64((billed + time.Millisecond - 1) / time.Millisecond)
	}
	for _, tr := range out {
		for _, s := range [][]time.Duration{tr.durations, tr.initDurations, tr.coldDur, tr.warmDur} {
			sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		}
	}
	return out
}

// nearestRank is the p-th percentile by the nearest-rank method, in ms.
func nearestRank(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return float64(sorted[rank-1]) / 1e6
}

// awsCost is the gross on-demand Lambda cost computed by hand from the
// published prices (https://aws.amazon.com/lambda/pricing/): USD 0.20 per
// 1M requests; per GB-second 0.0000166667 (x86_64), 0.0000133334 (arm64).
func awsCost(invocations int, billedMs int64, memoryMB int, arch string) float64 {
	perGBs := "0.0000166667"
	if arch == "arm64" {
		perGBs = "0.0000133334"
	}
	price, _ := new(big.Rat).SetString(perGBs)
	gbs := new(big.Rat).SetFrac(big.NewInt(billedMs*int64(memoryMB)), big.NewInt(1024*1000))
	compute := new(big.Rat).Mul(gbs, price)
	requests := new(big.Rat).SetFrac(big.NewInt(int64(invocations)*20), big.NewInt(100_000_000))
	f, _ := new(big.Rat).Add(compute, requests).Float64()
	return f
}

func within(got, want, rel float64) bool {
	if want == 0 {
		return got == 0
	}
	return math.Abs(got-want)/math.Abs(want) <= rel
}
