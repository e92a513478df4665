package api

import "github.com/faasight/faasight/analysis"

// The JSON shapes of the API where they differ from analysis's report
// types: each endpoint lists its own set of percentiles. Everything else is
// analysis's JSON as it is; the tests validate every response against
// openapi.json, so a field added there without the document fails them.
// Slices are never nil: an empty list is [], not null.

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
	Function       string                     `json:"function"`
	Invocations    uint64                     `json:"invocations"`
	ColdStarts     uint64                     `json:"cold_starts"`
	ColdStartRate  float64                    `json:"cold_start_rate"`
	ColdDurationMs coldStartPercentiles       `json:"cold_duration_ms"`
	WarmDurationMs coldStartPercentiles       `json:"warm_duration_ms"`
	InitDurationMs coldStartPercentiles       `json:"init_duration_ms"`
	Series         []analysis.ColdStartBucket `json:"series"`
}

func newColdStartResponse(r analysis.ColdStartReport) coldStartResponse {
	three := func(p analysis.Percentiles) coldStartPercentiles {
		return coldStartPercentiles{P50: p.P50, P90: p.P90, P99: p.P99}
	}
	return coldStartResponse{
		Function:       r.Function,
		Invocations:    r.Invocations,
		ColdStarts:     r.ColdStarts,
		ColdStartRate:  r.ColdStartRate,
		ColdDurationMs: three(r.ColdDurationMs),
		WarmDurationMs: three(r.WarmDurationMs),
		InitDurationMs: three(r.InitDurationMs),
		Series:         nonNil(r.Series),
	}
}

type latencyResponse struct {
	Function   string                   `json:"function"`
	DurationMs latencyPercentiles       `json:"duration_ms"`
	Series     []analysis.LatencyBucket `json:"series"`
}

func newLatencyResponse(r analysis.LatencyReport) latencyResponse {
	d := r.DurationMs
	return latencyResponse{
		Function:   r.Function,
		DurationMs: latencyPercentiles{P50: d.P50, P90: d.P90, P95: d.P95, P99: d.P99, Max: d.Max},
		Series:     nonNil(r.Series),
	}
}

// nonNil makes an empty list [] in JSON, not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// newCostResponse: analysis.CostReport's JSON is the contract as it is; only
// nil items become [].
func newCostResponse(r analysis.CostReport) analysis.CostReport {
	r.Items = nonNil(r.Items)
	r.From, r.To = r.From.UTC(), r.To.UTC()
	return r
}
