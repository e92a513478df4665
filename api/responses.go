package api

import (
	"time"

	"github.com/faasight/faasight/analysis"
)

// The JSON shapes of the API. They are declared here rather than taken from
// analysis so that the contract is exactly what openapi.json says: a field
// analysis adds does not appear in a response until it is added here and
// to the document. Slices are never nil: an empty list is [], not null.

type errorResponse struct {
	Error string `json:"error"`
}

type statusResponse struct {
	Status string `json:"status"`
}

// summaryPercentiles is duration_ms of GET /api/v1/functions.
type summaryPercentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// coldStartPercentiles is each duration of GET .../coldstarts.
type coldStartPercentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
}

// latencyPercentiles is duration_ms of GET .../latency.
type latencyPercentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

type functionsResponse struct {
	Functions []functionSummary `json:"functions"`
}

type functionSummary struct {
	Name          string             `json:"name"`
	Provider      string             `json:"provider"`
	Region        string             `json:"region"`
	Runtime       string             `json:"runtime"`
	Architecture  string             `json:"architecture"`
	MemoryMB      uint32             `json:"memory_mb"`
	Invocations   uint64             `json:"invocations"`
	Errors        uint64             `json:"errors"`
	ColdStarts    uint64             `json:"cold_starts"`
	ColdStartRate float64            `json:"cold_start_rate"`
	DurationMs    summaryPercentiles `json:"duration_ms"`
	CostUSD       float64            `json:"cost_usd"`
}

func newFunctionsResponse(fs []analysis.FunctionSummary) functionsResponse {
	out := make([]functionSummary, 0, len(fs))
	for _, f := range fs {
		out = append(out, functionSummary{
			Name:          f.Name,
			Provider:      f.Provider,
			Region:        f.Region,
			Runtime:       f.Runtime,
			Architecture:  f.Architecture,
			MemoryMB:      f.MemoryMB,
			Invocations:   f.Invocations,
			Errors:        f.Errors,
			ColdStarts:    f.ColdStarts,
			ColdStartRate: f.ColdStartRate,
			DurationMs: summaryPercentiles{
				P50: f.DurationMs.P50, P90: f.DurationMs.P90, P95: f.DurationMs.P95, P99: f.DurationMs.P99,
			},
			CostUSD: f.CostUSD,
		})
	}
	return functionsResponse{Functions: out}
}

type coldStartResponse struct {
	Function       string               `json:"function"`
	Invocations    uint64               `json:"invocations"`
	ColdStarts     uint64               `json:"cold_starts"`
	ColdStartRate  float64              `json:"cold_start_rate"`
	ColdDurationMs coldStartPercentiles `json:"cold_duration_ms"`
	WarmDurationMs coldStartPercentiles `json:"warm_duration_ms"`
	InitDurationMs coldStartPercentiles `json:"init_duration_ms"`
	Series         []coldStartBucket    `json:"series"`
}

type coldStartBucket struct {
	Time          time.Time `json:"time"`
	Invocations   uint64    `json:"invocations"`
	ColdStarts    uint64    `json:"cold_starts"`
	ColdStartRate float64   `json:"cold_start_rate"`
}

func newColdStartResponse(r analysis.ColdStartReport) coldStartResponse {
	three := func(p analysis.Percentiles) coldStartPercentiles {
		return coldStartPercentiles{P50: p.P50, P90: p.P90, P99: p.P99}
	}
	series := make([]coldStartBucket, 0, len(r.Series))
	for _, b := range r.Series {
		series = append(series, coldStartBucket{
			Time:          b.Time.UTC(),
			Invocations:   b.Invocations,
			ColdStarts:    b.ColdStarts,
			ColdStartRate: b.ColdStartRate,
		})
	}
	return coldStartResponse{
		Function:       r.Function,
		Invocations:    r.Invocations,
		ColdStarts:     r.ColdStarts,
		ColdStartRate:  r.ColdStartRate,
		ColdDurationMs: three(r.ColdDurationMs),
		WarmDurationMs: three(r.WarmDurationMs),
		InitDurationMs: three(r.InitDurationMs),
		Series:         series,
	}
}

type latencyResponse struct {
	Function   string             `json:"function"`
	DurationMs latencyPercentiles `json:"duration_ms"`
	Series     []latencyBucket    `json:"series"`
}

type latencyBucket struct {
	Time        time.Time `json:"time"`
	Invocations uint64    `json:"invocations"`
	P50         float64   `json:"p50"`
	P90         float64   `json:"p90"`
	P95         float64   `json:"p95"`
	P99         float64   `json:"p99"`
}

func newLatencyResponse(r analysis.LatencyReport) latencyResponse {
	series := make([]latencyBucket, 0, len(r.Series))
	for _, b := range r.Series {
		series = append(series, latencyBucket{
			Time:        b.Time.UTC(),
			Invocations: b.Invocations,
			P50:         b.P50,
			P90:         b.P90,
			P95:         b.P95,
			P99:         b.P99,
		})
	}
	d := r.DurationMs
	return latencyResponse{
		Function:   r.Function,
		DurationMs: latencyPercentiles{P50: d.P50, P90: d.P90, P95: d.P95, P99: d.P99, Max: d.Max},
		Series:     series,
	}
}

type costResponse struct {
	Currency string     `json:"currency"`
	From     time.Time  `json:"from"`
	To       time.Time  `json:"to"`
	Catalog  catalogRef `json:"catalog"`
	TotalUSD float64    `json:"total_usd"`
	Items    []costItem `json:"items"`
}

type catalogRef struct {
	Name          string `json:"name"`
	EffectiveDate string `json:"effective_date"`
	Source        string `json:"source"`
}

type costItem struct {
	Function         string  `json:"function"`
	Provider         string  `json:"provider"`
	Region           string  `json:"region"`
	Architecture     string  `json:"architecture"`
	MemoryMB         uint32  `json:"memory_mb"`
	Invocations      uint64  `json:"invocations"`
	BilledDurationMs uint64  `json:"billed_duration_ms"`
	GBSeconds        float64 `json:"gb_seconds"`
	RequestUSD       float64 `json:"request_usd"`
	ComputeUSD       float64 `json:"compute_usd"`
	TotalUSD         float64 `json:"total_usd"`
	Note             string  `json:"note,omitempty"`
}

func newCostResponse(r analysis.CostReport) costResponse {
	items := make([]costItem, 0, len(r.Items))
	for _, it := range r.Items {
		items = append(items, costItem{
			Function:         it.Function,
			Provider:         it.Provider,
			Region:           it.Region,
			Architecture:     it.Architecture,
			MemoryMB:         it.MemoryMB,
			Invocations:      it.Invocations,
			BilledDurationMs: it.BilledDurationMs,
			GBSeconds:        it.GBSeconds,
			RequestUSD:       it.RequestUSD,
			ComputeUSD:       it.ComputeUSD,
			TotalUSD:         it.TotalUSD,
			Note:             costNote(it),
		})
	}
	return costResponse{
		Currency: r.Currency,
		From:     r.From.UTC(),
		To:       r.To.UTC(),
		Catalog:  catalogRef{Name: r.Catalog.Name, EffectiveDate: r.Catalog.EffectiveDate, Source: r.Catalog.Source},
		TotalUSD: r.TotalUSD,
		Items:    items,
	}
}
