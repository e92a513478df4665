// Package analysis answers faasight's questions from what ingest stored:
// cold starts, latency percentiles and cost per function. It builds and
// runs the ClickHouse queries (SQL in embedded files) and does the math that
// belongs in Go (pricing, in analysis/pricing). It knows nothing of HTTP:
// the REST API, the Grafana plugin and the CLI all present these reports.
package analysis

import (
	"errors"
	"time"
)

// Named errors; the presentation layers map them to status codes in one place.
var (
	// ErrUnknownFunction: no invocation of the function in the tenant at all.
	ErrUnknownFunction = errors.New("unknown function")
	// ErrUnavailable: ClickHouse did not answer; the request may be retried.
	ErrUnavailable = errors.New("ClickHouse is unavailable")
	// ErrInvalid: the request itself is wrong (message says why).
	ErrInvalid = errors.New("invalid request")
)

// Range selects a tenant's data in [From, To).
type Range struct {
	Tenant string
	From   time.Time
	To     time.Time
}

// Percentiles of a duration distribution in milliseconds; nearest-rank,
// computed exactly in ClickHouse (see docs/percentiles.md). A field is 0
// when there are no samples.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// FunctionSummary is one row of GET /api/v1/functions. A function seen with
// several configurations reports the most recent one's provider, region,
// runtime, architecture and memory; costs are summed over all of them.
type FunctionSummary struct {
	Name          string      `json:"name"`
	Provider      string      `json:"provider"`
	Region        string      `json:"region"`
	Runtime       string      `json:"runtime"`
	Architecture  string      `json:"architecture"`
	MemoryMB      uint32      `json:"memory_mb"`
	Invocations   uint64      `json:"invocations"`
	Errors        uint64      `json:"errors"`
	ColdStarts    uint64      `json:"cold_starts"`
	ColdStartRate float64     `json:"cold_start_rate"`
	DurationMs    Percentiles `json:"duration_ms"`
	CostUSD       float64     `json:"cost_usd"`
}

// ColdStartReport is GET /api/v1/functions/{name}/coldstarts.
type ColdStartReport struct {
	Function       string            `json:"function"`
	Invocations    uint64            `json:"invocations"`
	ColdStarts     uint64            `json:"cold_starts"`
	ColdStartRate  float64           `json:"cold_start_rate"`
	ColdDurationMs Percentiles       `json:"cold_duration_ms"`
	WarmDurationMs Percentiles       `json:"warm_duration_ms"`
	InitDurationMs Percentiles       `json:"init_duration_ms"`
	Series         []ColdStartBucket `json:"series"`
}

// ColdStartBucket is one step of a cold-start series; Time is the start of
// the step. Steps without invocations are present with zeros.
type ColdStartBucket struct {
	Time          time.Time `json:"time"`
	Invocations   uint64    `json:"invocations"`
	ColdStarts    uint64    `json:"cold_starts"`
	ColdStartRate float64   `json:"cold_start_rate"`
}

// LatencyReport is GET /api/v1/functions/{name}/latency.
type LatencyReport struct {
	Function   string          `json:"function"`
	DurationMs Percentiles     `json:"duration_ms"`
	Series     []LatencyBucket `json:"series"`
}

// LatencyBucket is one step of a latency series (zeros when empty).
type LatencyBucket struct {
	Time        time.Time `json:"time"`
	Invocations uint64    `json:"invocations"`
	P50         float64   `json:"p50"`
	P90         float64   `json:"p90"`
	P95         float64   `json:"p95"`
	P99         float64   `json:"p99"`
}

// CostReport is GET /api/v1/reports/cost.
type CostReport struct {
	Currency string     `json:"currency"`
	From     time.Time  `json:"from"`
	To       time.Time  `json:"to"`
	Catalog  CatalogRef `json:"catalog"`
	TotalUSD float64    `json:"total_usd"`
	Items    []CostItem `json:"items"`

	// Set by Reports.CostReport (cost_report.go), absent from Cost's.
	Billing    string          `json:"billing,omitempty"`
	GroupBy    []string        `json:"group_by,omitempty"`
	LineUSD    *LineTotals     `json:"line_usd,omitempty"`
	Projection *CostProjection `json:"projection,omitempty"`
	Notes      []string        `json:"notes,omitempty"`
}

// CatalogRef names the price list a report used.
type CatalogRef struct {
	Name          string `json:"name"`
	EffectiveDate string `json:"effective_date"`
	Source        string `json:"source"`
}

// CostItem is the cost of one (function, architecture, memory) combination.
type CostItem struct {
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
	// Note says why an item is not (fully) priced, or what was assumed.
	Note string `json:"note,omitempty"`

	// Set by Reports.CostReport: the item's group_by values, its lines
	// and their totals by kind. The fields above that the group does not
	// fix (its rows differ in them) are empty or zero there.
	Group   map[string]string `json:"group,omitempty"`
	Lines   []CostLine        `json:"lines,omitempty"`
	LineUSD *LineTotals       `json:"line_usd,omitempty"`
}
