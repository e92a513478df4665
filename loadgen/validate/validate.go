// Package validate checks what faasight reports against a ground truth:
// from the invocations that really happened (the load generator's ledger)
// it computes what the REST API must answer — invocations, errors and cold
// starts exactly, percentiles by the same nearest-rank definition, cost by
// the same price catalog to 1e-9 USD — asks the API, and compares.
package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"sort"
	"time"

	"github.com/faasight/faasight/analysis"
	"github.com/faasight/faasight/analysis/pricing"
	"github.com/faasight/faasight/loadgen/lambdaruntime"
)

// Record is one invocation as it happened.
type Record struct {
	Function     string
	Start        time.Time
	Duration     time.Duration
	ColdStart    bool
	InitDuration time.Duration
	Failed       bool // error or timeout: the invocation span has status ERROR
	Provider     string
	Region       string
	Architecture string
	MemoryMB     uint32
}

// FromLedger reads a load generator ledger: the invocations that ran
// (throttled ones did not) and the window holding them.
func FromLedger(path string) (records []Record, from, to time.Time, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, from, to, fmt.Errorf("validate: %w", err)
	}
	defer f.Close()
	err = lambdaruntime.ReadLedger(f, func(r lambdaruntime.Result) error {
		if r.Status == lambdaruntime.StatusThrottled {
			return nil
		}
		records = append(records, Record{Function: r.Function, Start: r.Start, Duration: r.Duration,
			ColdStart: r.ColdStart, InitDuration: r.InitDuration, Failed: r.Status.Failed(),
			Provider: r.Provider, Region: r.Region, Architecture: r.Architecture, MemoryMB: uint32(r.MemoryMB)})
		if from.IsZero() || r.Start.Before(from) {
			from = r.Start
		}
		if end := r.Start.Add(time.Nanosecond); end.After(to) {
			to = end
		}
		return nil
	})
	if err != nil {
		return nil, from, to, fmt.Errorf("validate: ledger %s: %w", path, err)
	}
	if len(records) == 0 {
		return nil, from, to, fmt.Errorf("validate: ledger %s holds no invocation that ran", path)
	}
	return records, from, to, nil
}

// Tolerances of the comparison.
const (
	// PercentileTolerance is relative: faasight's percentiles are exact
	// nearest-rank values (docs/percentiles.md), so any difference beyond
	// float formatting is a bug; 1e-9 absorbs the ns→ms conversion.
	PercentileTolerance = 1e-9
	// CostTolerance is absolute, in USD.
	CostTolerance = 1e-9
)

// Row is one compared number.
type Row struct {
	Function string  `json:"function"`
	Metric   string  `json:"metric"`
	Expected float64 `json:"expected"`
	Reported float64 `json:"reported"`
	Diff     float64 `json:"diff"`
	OK       bool    `json:"ok"`
}

// Report is the whole comparison.
type Report struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Rows []Row     `json:"rows"`
	OK   bool      `json:"ok"`
}

// Expected is what the API must say about one function.
type Expected struct {
	Invocations, Errors, ColdStarts uint64
	P50, P90, P99                   float64 // ms, nearest rank
	CostUSD                         float64
}

// ExpectedFrom computes the truth per function from the records, pricing
// them with catalog exactly as faasight bills (pricing.BilledMs).
func ExpectedFrom(records []Record, catalog *pricing.Catalog) (map[string]Expected, error) {
	type key struct {
		fn, provider, region, arch string
		mem                        uint32
	}
	type usage struct{ n, billedMs uint64 }
	durations := map[string][]time.Duration{}
	out := map[string]Expected{}
	usages := map[key]*usage{}
	for _, r := range records {
		e := out[r.Function]
		e.Invocations++
		if r.Failed {
			e.Errors++
		}
		if r.ColdStart {
			e.ColdStarts++
		}
		out[r.Function] = e
		durations[r.Function] = append(durations[r.Function], r.Duration)
		k := key{r.Function, r.Provider, r.Region, r.Architecture, r.MemoryMB}
		u := usages[k]
		if u == nil {
			u = &usage{}
			usages[k] = u
		}
		u.n++
		u.billedMs += pricing.BilledMs(uint64(r.Duration), uint64(r.InitDuration), r.ColdStart, 0)
	}
	for fn, ds := range durations {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		e := out[fn]
		e.P50, e.P90, e.P99 = nearestRank(ds, 0.5), nearestRank(ds, 0.9), nearestRank(ds, 0.99)
		out[fn] = e
	}
	for k, u := range usages {
		c, err := catalog.Price(pricing.Usage{Provider: k.provider, Region: k.region, Architecture: k.arch,
			MemoryMB: k.mem, Invocations: u.n, BilledDurationMs: u.billedMs})
		if err != nil {
			return nil, err
		}
		e := out[k.fn]
		e.CostUSD += c.Total.InexactFloat64()
		out[k.fn] = e
	}
	return out, nil
}

// nearestRank is the value at rank ⌈p·n⌉, in ms.
func nearestRank(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted))))
	rank = max(rank, 1)
	return float64(sorted[rank-1]) / 1e6
}

// Fetch asks faasight's REST API (base like http://127.0.0.1:8080) for the
// function summaries of tenant in [from, to).
func Fetch(ctx context.Context, client *http.Client, base, tenant string, from, to time.Time) ([]analysis.FunctionSummary, error) {
	// RFC 3339 with nanoseconds: the window must hold exactly the ledger's
	// invocations, and unix seconds as a float lose the nanoseconds.
	q := url.Values{"from": {from.UTC().Format(time.RFC3339Nano)}, "to": {to.UTC().Format(time.RFC3339Nano)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/functions?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	if tenant != "" {
		req.Header.Set("X-Faasight-Tenant", tenant)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("validate: ask faasight: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("validate: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("validate: faasight answered %s: %s", resp.Status, body)
	}
	var out struct {
		Functions []analysis.FunctionSummary `json:"functions"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("validate: decode answer: %w", err)
	}
	return out.Functions, nil
}

// Compare lines up expected and reported numbers. A function the ledger has
// and faasight lacks (or the reverse) fails on every count.
func Compare(expected map[string]Expected, reported []analysis.FunctionSummary, from, to time.Time) Report {
	rep := Report{From: from, To: to, OK: true}
	got := map[string]analysis.FunctionSummary{}
	names := map[string]bool{}
	for _, f := range reported {
		got[f.Name] = f
		names[f.Name] = true
	}
	for n := range expected {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	add := func(fn, metric string, want, have float64, ok bool) {
		rep.Rows = append(rep.Rows, Row{Function: fn, Metric: metric, Expected: want, Reported: have, Diff: have - want, OK: ok})
		rep.OK = rep.OK && ok
	}
	exact := func(a, b float64) bool { return a == b }
	relative := func(a, b float64) bool { return math.Abs(a-b) <= PercentileTolerance*math.Max(math.Abs(a), 1e-12) }
	absolute := func(a, b float64) bool { return math.Abs(a-b) <= CostTolerance }
	for _, fn := range sorted {
		w, h := expected[fn], got[fn]
		add(fn, "invocations", float64(w.Invocations), float64(h.Invocations), exact(float64(w.Invocations), float64(h.Invocations)))
		add(fn, "errors", float64(w.Errors), float64(h.Errors), exact(float64(w.Errors), float64(h.Errors)))
		add(fn, "cold_starts", float64(w.ColdStarts), float64(h.ColdStarts), exact(float64(w.ColdStarts), float64(h.ColdStarts)))
		add(fn, "p50_ms", w.P50, h.DurationMs.P50, relative(w.P50, h.DurationMs.P50))
		add(fn, "p90_ms", w.P90, h.DurationMs.P90, relative(w.P90, h.DurationMs.P90))
		add(fn, "p99_ms", w.P99, h.DurationMs.P99, relative(w.P99, h.DurationMs.P99))
		add(fn, "cost_usd", w.CostUSD, h.CostUSD, absolute(w.CostUSD, h.CostUSD))
	}
	return rep
}
