package analysis

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/faasight/faasight/analysis/pricing"
	"github.com/faasight/faasight/ingest"
)

//go:embed queries/*.sql
var queryFiles embed.FS

// Limits on a request's shape, so one query cannot ask ClickHouse for
// millions of buckets.
const (
	MinStep    = time.Second
	MaxBuckets = 11_000 // as Prometheus: enough for a week at one minute
)

// Reports answers the questions over one ClickHouse database.
type Reports struct {
	conn    driver.Conn
	db      string
	catalog *pricing.Catalog
	logger  *slog.Logger
	sql     map[string]string // rendered queries by file name (without .sql)
}

// New renders the queries for database db once.
func New(conn driver.Conn, db string, catalog *pricing.Catalog, logger *slog.Logger) (*Reports, error) {
	if err := ingest.ValidateDatabaseName(db); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	sql, err := renderQueries(db)
	if err != nil {
		return nil, err
	}
	return &Reports{conn: conn, db: db, catalog: catalog, logger: logger, sql: sql}, nil
}

// windowFilter selects a tenant's invocations in [from, to). The date
// bounds only prune partitions; they are a day wider than needed because
// the server's time zone decides which day a row's date is.
const windowFilter = "tenant = ? AND start_ns >= ? AND start_ns < ? AND date >= toDate(?) - 1 AND date <= toDate(?) + 1"

func renderQueries(db string) (map[string]string, error) {
	funcs := template.FuncMap{
		"window": func() string { return windowFilter },
		// pct is the nearest-rank percentile (permille/1000) of a sorted
		// array: the element at rank ceil(p·n), 1-based; 0 for no samples
		// (ClickHouse answers arr[0] with the default value).
		"pct": func(arr string, permille int) string {
			return fmt.Sprintf("%s[intDiv(length(%s) * %d + 999, 1000)]", arr, arr, permille)
		},
	}
	names, err := fs.Glob(queryFiles, "queries/*.sql")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		text, err := queryFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(string(text))
		if err != nil {
			return nil, fmt.Errorf("analysis: query %s: %w", name, err)
		}
		var b strings.Builder
		if err := t.Execute(&b, map[string]string{"DB": "`" + db + "`"}); err != nil {
			return nil, fmt.Errorf("analysis: query %s: %w", name, err)
		}
		out[strings.TrimSuffix(path.Base(name), ".sql")] = b.String()
	}
	return out, nil
}

func windowArgs(r Range) []any {
	return []any{r.Tenant, unixNs(r.From), unixNs(r.To), r.From.UTC().Format(time.DateOnly), r.To.UTC().Format(time.DateOnly)}
}

func unixNs(t time.Time) uint64 {
	if t.UnixNano() < 0 {
		return 0
	}
	return uint64(t.UnixNano())
}

func checkRange(r Range) error {
	if r.Tenant == "" {
		return fmt.Errorf("%w: tenant is empty", ErrInvalid)
	}
	if !r.To.After(r.From) {
		return fmt.Errorf("%w: to (%s) must be after from (%s)", ErrInvalid, r.To.Format(time.RFC3339), r.From.Format(time.RFC3339))
	}
	return nil
}

func checkStep(r Range, step time.Duration) error {
	if step < MinStep {
		return fmt.Errorf("%w: step %v is below the minimum %v", ErrInvalid, step, MinStep)
	}
	if n := bucketCount(r, step); n > MaxBuckets {
		return fmt.Errorf("%w: step %v gives %d buckets over the window, more than %d; use a larger step", ErrInvalid, step, n, MaxBuckets)
	}
	return nil
}

func bucketCount(r Range, step time.Duration) int64 {
	span := r.To.Sub(r.From)
	return int64((span + step - 1) / step)
}

// classify separates "ClickHouse is not there" (ErrUnavailable: the
// caller may retry) from errors ClickHouse reported about a query, which
// are faasight's bugs — except for a schema that does not exist yet.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("analysis: %s: %w", op, err)
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		const unknownTable, unknownDatabase = 60, 81
		if ex.Code == unknownTable || ex.Code == unknownDatabase {
			return fmt.Errorf("analysis: %s: %w: schema not created yet (%v)", op, ErrUnavailable, err)
		}
		return fmt.Errorf("analysis: %s: %w", op, err)
	}
	// Everything else — dial errors, EOF, timeouts, a dead connection —
	// means ClickHouse did not answer.
	return fmt.Errorf("analysis: %s: %w: %v", op, ErrUnavailable, err)
}

// scanFailed: a row that does not decode is faasight's bug, not an outage.
func scanFailed(op string, err error) error {
	return fmt.Errorf("analysis: %s: decode row: %w", op, err)
}

// Ready reports whether ClickHouse answers and the schema is in place.
func (s *Reports) Ready(ctx context.Context) error {
	var n uint64
	if err := s.conn.QueryRow(ctx, s.sql["ready"], s.db).Scan(&n); err != nil {
		return classify("ready", err)
	}
	if n == 0 {
		return fmt.Errorf("analysis: %w: schema not created yet", ErrUnavailable)
	}
	return nil
}

// nsToMs converts nanoseconds to float milliseconds.
func nsToMs(ns uint64) float64 { return float64(ns) / 1e6 }

func percentiles(p50, p90, p95, p99, max uint64) Percentiles {
	return Percentiles{P50: nsToMs(p50), P90: nsToMs(p90), P95: nsToMs(p95), P99: nsToMs(p99), Max: nsToMs(max)}
}

func rate(part, whole uint64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

// Functions lists every function with an invocation in r.
func (s *Reports) Functions(ctx context.Context, r Range) ([]FunctionSummary, error) {
	if err := checkRange(r); err != nil {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, s.sql["functions"], windowArgs(r)...)
	if err != nil {
		return nil, classify("functions", err)
	}
	defer rows.Close()
	var out []FunctionSummary
	for rows.Next() {
		var f FunctionSummary
		var p50, p90, p95, p99, max uint64
		if err := rows.Scan(&f.Name, &f.Provider, &f.Region, &f.Runtime, &f.Architecture, &f.MemoryMB,
			&f.Invocations, &f.Errors, &f.ColdStarts, &p50, &p90, &p95, &p99, &max); err != nil {
			return nil, scanFailed("functions", err)
		}
		f.ColdStartRate = rate(f.ColdStarts, f.Invocations)
		f.DurationMs = percentiles(p50, p90, p95, p99, max)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, classify("functions", err)
	}
	items, _, err := s.costItems(ctx, r)
	if err != nil {
		return nil, err
	}
	perFunction := map[string]decimal.Decimal{}
	for _, it := range items {
		perFunction[it.item.Function] = perFunction[it.item.Function].Add(it.total)
	}
	for i := range out {
		out[i].CostUSD = perFunction[out[i].Name].InexactFloat64()
	}
	return out, nil
}

// known distinguishes "no invocations in this window" from "no such
// function".
func (s *Reports) known(ctx context.Context, tenant, function string) error {
	var n uint64
	if err := s.conn.QueryRow(ctx, s.sql["known_function"], tenant, function).Scan(&n); err != nil {
		return classify("look up function", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %q", ErrUnknownFunction, function)
	}
	return nil
}

// ColdStarts reports how often function cold-started and what it cost in
// latency, with a series of step-long buckets.
func (s *Reports) ColdStarts(ctx context.Context, r Range, function string, step time.Duration) (ColdStartReport, error) {
	rep := ColdStartReport{Function: function}
	if err := checkRange(r); err != nil {
		return rep, err
	}
	if err := checkStep(r, step); err != nil {
		return rep, err
	}
	args := append(windowArgs(r), function)
	var q [15]uint64
	if err := s.conn.QueryRow(ctx, s.sql["coldstarts"], args...).Scan(&rep.Invocations, &rep.ColdStarts,
		&q[0], &q[1], &q[2], &q[3], &q[4], &q[5], &q[6], &q[7], &q[8], &q[9], &q[10], &q[11], &q[12], &q[13], &q[14]); err != nil {
		return rep, classify("cold starts", err)
	}
	if rep.Invocations == 0 {
		if err := s.known(ctx, r.Tenant, function); err != nil {
			return rep, err
		}
	}
	rep.ColdStartRate = rate(rep.ColdStarts, rep.Invocations)
	rep.ColdDurationMs = percentiles(q[0], q[1], q[2], q[3], q[4])
	rep.WarmDurationMs = percentiles(q[5], q[6], q[7], q[8], q[9])
	rep.InitDurationMs = percentiles(q[10], q[11], q[12], q[13], q[14])

	rep.Series = make([]ColdStartBucket, bucketCount(r, step))
	for i := range rep.Series {
		rep.Series[i].Time = r.From.Add(time.Duration(i) * step).UTC()
	}
	seriesArgs := append([]any{unixNs(r.From), uint64(step)}, args...)
	rows, err := s.conn.Query(ctx, s.sql["coldstart_series"], seriesArgs...)
	if err != nil {
		return rep, classify("cold-start series", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b int64 // start_ns - from: ClickHouse makes a difference of UInt64 signed
		var n, cold uint64
		if err := rows.Scan(&b, &n, &cold); err != nil {
			return rep, scanFailed("cold-start series", err)
		}
		if b < 0 || b >= int64(len(rep.Series)) {
			continue // cannot happen: the window bounds the bucket index
		}
		rep.Series[b].Invocations, rep.Series[b].ColdStarts, rep.Series[b].ColdStartRate = n, cold, rate(cold, n)
	}
	return rep, classify("cold-start series", rows.Err())
}

// Latency reports duration percentiles of function, overall and per step.
func (s *Reports) Latency(ctx context.Context, r Range, function string, step time.Duration) (LatencyReport, error) {
	rep := LatencyReport{Function: function}
	if err := checkRange(r); err != nil {
		return rep, err
	}
	if err := checkStep(r, step); err != nil {
		return rep, err
	}
	args := append(windowArgs(r), function)
	var n uint64
	var q [5]uint64
	if err := s.conn.QueryRow(ctx, s.sql["latency"], args...).Scan(&n, &q[0], &q[1], &q[2], &q[3], &q[4]); err != nil {
		return rep, classify("latency", err)
	}
	if n == 0 {
		if err := s.known(ctx, r.Tenant, function); err != nil {
			return rep, err
		}
	}
	rep.DurationMs = percentiles(q[0], q[1], q[2], q[3], q[4])
	rep.Series = make([]LatencyBucket, bucketCount(r, step))
	for i := range rep.Series {
		rep.Series[i].Time = r.From.Add(time.Duration(i) * step).UTC()
	}
	rows, err := s.conn.Query(ctx, s.sql["latency_series"], append([]any{unixNs(r.From), uint64(step)}, args...)...)
	if err != nil {
		return rep, classify("latency series", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b int64
		var cnt uint64
		var p [5]uint64
		if err := rows.Scan(&b, &cnt, &p[0], &p[1], &p[2], &p[3], &p[4]); err != nil {
			return rep, scanFailed("latency series", err)
		}
		if b < 0 || b >= int64(len(rep.Series)) {
			continue
		}
		pp := percentiles(p[0], p[1], p[2], p[3], p[4])
		rep.Series[b] = LatencyBucket{Time: rep.Series[b].Time, Invocations: cnt, P50: pp.P50, P90: pp.P90, P95: pp.P95, P99: pp.P99}
	}
	return rep, classify("latency series", rows.Err())
}

// pricedItem keeps the exact total beside the float report item, so that
// sums are exact too.
type pricedItem struct {
	item  CostItem
	total decimal.Decimal
}

// Cost prices every (function, provider, region, architecture, memory)
// combination in r with the catalog.
func (s *Reports) Cost(ctx context.Context, r Range) (CostReport, error) {
	rep := CostReport{
		Currency: s.catalog.Currency, From: r.From.UTC(), To: r.To.UTC(),
		Catalog: CatalogRef{Name: s.catalog.Name, EffectiveDate: s.catalog.EffectiveDate, Source: s.catalog.Source},
		Items:   []CostItem{},
	}
	if err := checkRange(r); err != nil {
		return rep, err
	}
	items, total, err := s.costItems(ctx, r)
	if err != nil {
		return rep, err
	}
	for _, it := range items {
		rep.Items = append(rep.Items, it.item)
	}
	rep.TotalUSD = total.InexactFloat64()
	return rep, nil
}

func (s *Reports) costItems(ctx context.Context, r Range) ([]pricedItem, decimal.Decimal, error) {
	rows, err := s.conn.Query(ctx, s.sql["cost"], windowArgs(r)...)
	if err != nil {
		return nil, decimal.Zero, classify("cost", err)
	}
	defer rows.Close()
	var items []pricedItem
	total := decimal.Zero
	for rows.Next() {
		var it CostItem
		if err := rows.Scan(&it.Function, &it.Provider, &it.Region, &it.Architecture, &it.MemoryMB,
			&it.Invocations, &it.BilledDurationMs); err != nil {
			return nil, decimal.Zero, scanFailed("cost", err)
		}
		c := s.catalog.Price(pricing.Usage{Provider: it.Provider, Region: it.Region, Architecture: it.Architecture,
			MemoryMB: it.MemoryMB, Invocations: it.Invocations, BilledDurationMs: it.BilledDurationMs})
		it.GBSeconds = c.GBSeconds.InexactFloat64()
		it.RequestUSD = c.Request.InexactFloat64()
		it.ComputeUSD = c.Compute.InexactFloat64()
		it.TotalUSD = c.Total.InexactFloat64()
		it.Note = c.Note
		items = append(items, pricedItem{item: it, total: c.Total})
		total = total.Add(c.Total)
	}
	if err := rows.Err(); err != nil {
		return nil, decimal.Zero, classify("cost", err)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].item.Function < items[j].item.Function })
	return items, total, nil
}
