package analysis

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/faasight/faasight/analysis/pricing"
	"github.com/faasight/faasight/ingest"
)

// queryFiles holds the SQL. Files starting with "_" define shared
// fragments ({{template "window"}}); the others are one query each.
//
//go:embed queries/*.sql
var queryFiles embed.FS

// Limits on a request's shape, so that one query cannot ask ClickHouse for
// millions of buckets.
const (
	MinStep    = time.Second
	MaxBuckets = 11_000 // as Prometheus: a week at one minute fits
)

// Reports answers the questions over one ClickHouse database. It is safe
// for concurrent use: it holds no state besides its dependencies and the
// queries rendered at construction.
type Reports struct {
	conn    driver.Conn
	db      string
	catalog *pricing.Catalog
	logger  *slog.Logger
	sql     map[string]string // rendered queries by file name (without .sql)
}

// New renders the queries for database db once; the name is validated and
// quoted, and every value a query needs is bound at run time.
func New(conn driver.Conn, db string, catalog *pricing.Catalog, logger *slog.Logger) (*Reports, error) {
	if conn == nil {
		return nil, errors.New("analysis: no ClickHouse connection")
	}
	if catalog == nil {
		return nil, errors.New("analysis: no price catalog")
	}
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

func renderQueries(db string) (map[string]string, error) {
	funcs := template.FuncMap{
		// pct is the nearest-rank percentile (permille/1000) of a sorted
		// array: the element at rank ceil(p·n), 1-based, in integers so
		// that no float rounding moves the rank (docs/percentiles.md).
		// For no samples the rank is clamped to 1, which is out of bounds
		// of the empty array and yields 0 on every release; a rank of 0
		// is an exception on some. The maximum is arr[-1], the last
		// element, likewise 0 when empty.
		"pct": func(arr string, permille int) string {
			return fmt.Sprintf("%s[greatest(intDiv(length(%s) * %d + 999, 1000), 1)]", arr, arr, permille)
		},
	}
	shared, err := template.New("").Funcs(funcs).Option("missingkey=error").ParseFS(queryFiles, "queries/_*.sql")
	if err != nil {
		return nil, fmt.Errorf("analysis: shared query fragments: %w", err)
	}
	names, err := fs.Glob(queryFiles, "queries/*.sql")
	if err != nil {
		return nil, fmt.Errorf("analysis: list queries: %w", err)
	}
	data := map[string]string{"DB": "`" + db + "`"}
	out := make(map[string]string, len(names))
	for _, name := range names {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") {
			continue
		}
		text, err := queryFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("analysis: read %s: %w", name, err)
		}
		t, err := shared.Clone()
		if err != nil {
			return nil, fmt.Errorf("analysis: query %s: %w", base, err)
		}
		if t, err = t.New(base).Parse(string(text)); err != nil {
			return nil, fmt.Errorf("analysis: query %s: %w", base, err)
		}
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			return nil, fmt.Errorf("analysis: query %s: %w", base, err)
		}
		out[strings.TrimSuffix(base, ".sql")] = b.String()
	}
	return out, nil
}

// windowArgs are the values of {{template "window"}}, in its order.
func windowArgs(r Range) []any {
	return []any{r.Tenant, unixNs(r.From), unixNs(r.To), r.From.UTC().Format(time.DateOnly), r.To.UTC().Format(time.DateOnly)}
}

// unixNs is only called on times checkRange accepted (1970..2262).
func unixNs(t time.Time) uint64 { return uint64(t.UnixNano()) }

// The times a window may span: start_ns is unsigned nanoseconds since the
// epoch, and time.UnixNano is undefined after 2262.
var (
	minTime = time.Unix(0, 0)
	maxTime = time.Unix(0, 1<<63-1)
)

func checkRange(r Range) error {
	if r.Tenant == "" {
		return fmt.Errorf("%w: tenant is empty", ErrInvalid)
	}
	if !r.To.After(r.From) {
		return fmt.Errorf("%w: to (%s) must be after from (%s)", ErrInvalid, r.To.UTC().Format(time.RFC3339Nano), r.From.UTC().Format(time.RFC3339Nano))
	}
	if r.From.Before(minTime) || r.To.After(maxTime) {
		return fmt.Errorf("%w: the window must lie between %s and %s", ErrInvalid, minTime.UTC().Format(time.RFC3339), maxTime.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkSeries validates a series request, reporting every problem at once.
func checkSeries(r Range, function string, step time.Duration) error {
	var errs []error
	if err := checkRange(r); err != nil {
		errs = append(errs, err)
	}
	if function == "" {
		errs = append(errs, fmt.Errorf("%w: function name is empty", ErrInvalid))
	}
	if err := checkStep(r, step); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func checkStep(r Range, step time.Duration) error {
	if step <= 0 {
		return fmt.Errorf("%w: step %v must be positive", ErrInvalid, step)
	}
	if step < MinStep {
		return fmt.Errorf("%w: step %v is below the minimum %v", ErrInvalid, step, MinStep)
	}
	if n := bucketCount(r, step); n > MaxBuckets {
		return fmt.Errorf("%w: step %v gives %d buckets over the window, more than %d; use a larger step", ErrInvalid, step, n, MaxBuckets)
	}
	return nil
}

// bucketCount is ceil((To-From)/step): the last bucket may reach past To.
// Written without span+step-1, which overflows for the longest windows.
func bucketCount(r Range, step time.Duration) int64 {
	span := r.To.Sub(r.From)
	n := int64(span / step)
	if span%step != 0 {
		n++
	}
	return n
}

// seriesTimes are the bucket start times of a series.
func seriesTimes(r Range, step time.Duration) []time.Time {
	out := make([]time.Time, bucketCount(r, step))
	for i := range out {
		out[i] = r.From.Add(time.Duration(i) * step).UTC()
	}
	return out
}

// Ready reports whether ClickHouse answers and the schema is in place.
func (s *Reports) Ready(ctx context.Context) error {
	var n uint64
	if err := s.conn.QueryRow(ctx, s.sql["ready"], s.db).Scan(&n); err != nil {
		return s.classify(ctx, "ready", err)
	}
	if n == 0 {
		return fmt.Errorf("analysis: %w: schema not created yet (run faasight migrate)", ErrUnavailable)
	}
	return nil
}

// nsToMs converts nanoseconds to float milliseconds, only for presentation.
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

// Functions lists every function with an invocation in r, sorted by name.
func (s *Reports) Functions(ctx context.Context, r Range) ([]FunctionSummary, error) {
	if err := checkRange(r); err != nil {
		return nil, err
	}
	out, err := s.functionRows(ctx, r)
	if err != nil {
		return nil, err
	}
	items, _, err := s.costItems(ctx, r)
	if err != nil {
		return nil, err
	}
	perFunction := make(map[string]decimal.Decimal, len(out))
	for _, it := range items {
		perFunction[it.item.Function] = perFunction[it.item.Function].Add(it.total)
	}
	for i := range out {
		out[i].CostUSD = perFunction[out[i].Name].InexactFloat64()
	}
	return out, nil
}

// functionRows runs functions.sql; its rows are closed before the cost
// query runs, so a Functions call holds one connection at a time.
func (s *Reports) functionRows(ctx context.Context, r Range) ([]FunctionSummary, error) {
	rows, err := s.conn.Query(ctx, s.sql["functions"], windowArgs(r)...)
	if err != nil {
		return nil, s.classify(ctx, "functions", err)
	}
	defer rows.Close()
	out := []FunctionSummary{} // [] rather than null in JSON
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
		return nil, s.classify(ctx, "functions", err)
	}
	return out, nil
}

// known distinguishes "no invocations in this window" from "no such
// function": an empty window of a known function is a zero report.
func (s *Reports) known(ctx context.Context, tenant, function string) error {
	var n uint64
	if err := s.conn.QueryRow(ctx, s.sql["known_function"], tenant, function).Scan(&n); err != nil {
		return s.classify(ctx, "look up function", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %q", ErrUnknownFunction, function)
	}
	return nil
}

// ColdStarts reports how often function cold-started and what it cost in
// latency, with a series of step-long buckets aligned to r.From.
func (s *Reports) ColdStarts(ctx context.Context, r Range, function string, step time.Duration) (ColdStartReport, error) {
	rep := ColdStartReport{Function: function}
	if err := checkSeries(r, function, step); err != nil {
		return rep, err
	}
	args := append(windowArgs(r), function)
	var q [15]uint64
	if err := s.conn.QueryRow(ctx, s.sql["coldstarts"], args...).Scan(&rep.Invocations, &rep.ColdStarts,
		&q[0], &q[1], &q[2], &q[3], &q[4], &q[5], &q[6], &q[7], &q[8], &q[9], &q[10], &q[11], &q[12], &q[13], &q[14]); err != nil {
		return rep, s.classify(ctx, "cold starts", err)
	}
	times := seriesTimes(r, step)
	rep.Series = make([]ColdStartBucket, len(times))
	for i, t := range times {
		rep.Series[i].Time = t
	}
	if rep.Invocations == 0 {
		// Nothing in the window: the series stays zero, and only the
		// question whether the function exists at all is left.
		return rep, s.known(ctx, r.Tenant, function)
	}
	rep.ColdStartRate = rate(rep.ColdStarts, rep.Invocations)
	rep.ColdDurationMs = percentiles(q[0], q[1], q[2], q[3], q[4])
	rep.WarmDurationMs = percentiles(q[5], q[6], q[7], q[8], q[9])
	rep.InitDurationMs = percentiles(q[10], q[11], q[12], q[13], q[14])

	rows, err := s.conn.Query(ctx, s.sql["coldstart_series"], append([]any{unixNs(r.From), uint64(step)}, args...)...)
	if err != nil {
		return rep, s.classify(ctx, "cold-start series", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b, n, cold uint64
		if err := rows.Scan(&b, &n, &cold); err != nil {
			return rep, scanFailed("cold-start series", err)
		}
		if b >= uint64(len(rep.Series)) {
			return rep, fmt.Errorf("analysis: cold-start series: bucket %d outside the window's %d", b, len(rep.Series))
		}
		rep.Series[b].Invocations, rep.Series[b].ColdStarts, rep.Series[b].ColdStartRate = n, cold, rate(cold, n)
	}
	return rep, s.classify(ctx, "cold-start series", rows.Err())
}

// Latency reports duration percentiles of function, overall and per step.
func (s *Reports) Latency(ctx context.Context, r Range, function string, step time.Duration) (LatencyReport, error) {
	rep := LatencyReport{Function: function}
	if err := checkSeries(r, function, step); err != nil {
		return rep, err
	}
	args := append(windowArgs(r), function)
	var n uint64
	var q [5]uint64
	if err := s.conn.QueryRow(ctx, s.sql["latency"], args...).Scan(&n, &q[0], &q[1], &q[2], &q[3], &q[4]); err != nil {
		return rep, s.classify(ctx, "latency", err)
	}
	times := seriesTimes(r, step)
	rep.Series = make([]LatencyBucket, len(times))
	for i, t := range times {
		rep.Series[i].Time = t
	}
	if n == 0 {
		return rep, s.known(ctx, r.Tenant, function)
	}
	rep.DurationMs = percentiles(q[0], q[1], q[2], q[3], q[4])

	rows, err := s.conn.Query(ctx, s.sql["latency_series"], append([]any{unixNs(r.From), uint64(step)}, args...)...)
	if err != nil {
		return rep, s.classify(ctx, "latency series", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b, cnt uint64
		var p [5]uint64
		if err := rows.Scan(&b, &cnt, &p[0], &p[1], &p[2], &p[3], &p[4]); err != nil {
			return rep, scanFailed("latency series", err)
		}
		if b >= uint64(len(rep.Series)) {
			return rep, fmt.Errorf("analysis: latency series: bucket %d outside the window's %d", b, len(rep.Series))
		}
		pp := percentiles(p[0], p[1], p[2], p[3], p[4])
		rep.Series[b] = LatencyBucket{Time: rep.Series[b].Time, Invocations: cnt, P50: pp.P50, P90: pp.P90, P95: pp.P95, P99: pp.P99}
	}
	return rep, s.classify(ctx, "latency series", rows.Err())
}
