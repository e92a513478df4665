package analysis

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// TestRenderQueries: every query renders completely, reads through FINAL
// where it counts, and has exactly as many placeholders as the code binds
// (a mismatch would only show at run time, as a server exception).
func TestRenderQueries(t *testing.T) {
	sql, err := renderQueries("faasight_db")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		placeholders int
		final        bool
	}{
		"functions":        {5, true},
		"coldstarts":       {6, true},
		"coldstart_series": {8, true},
		"latency":          {6, true},
		"latency_series":   {8, true},
		"cost":             {9, true},  // the rounding rule, the window
		"known_function":   {2, false}, // existence only: a duplicate cannot change it
		"ready":            {1, false},
		"compare":          {23, true}, // 4 rounding rules × 4, the window, the function twice
		"rightsizing":      {9, true},  // one rounding rule × 4, the window
		"cost_rows":        {9, true},
		"cost_rows_attrs":  {26, true}, // the rule, the window, 4 attribute slots × 3, the window
		"activity":         {7, true},  // the window, the function twice
	}
	for name, want := range want {
		q, ok := sql[name]
		if !ok {
			t.Errorf("query %s missing", name)
			continue
		}
		if strings.Contains(q, "{{") || strings.Contains(q, "<no value>") {
			t.Errorf("%s: not fully rendered:\n%s", name, q)
		}
		if got := strings.Count(q, "?"); got != want.placeholders {
			t.Errorf("%s: %d placeholders, want %d", name, got, want.placeholders)
		}
		if want.final && !strings.Contains(q, "`faasight_db`.invocations FINAL") {
			t.Errorf("%s: does not read `faasight_db`.invocations FINAL:\n%s", name, q)
		}
	}
	if len(sql) != len(want) {
		t.Errorf("%d queries rendered, want %d (a new query needs a row above)", len(sql), len(want))
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New(nil, "db", nil, nil); err == nil {
		t.Error("New without a connection succeeded")
	}
}

func TestCheckRangeAndStep(t *testing.T) {
	t0 := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	ok := Range{Tenant: "t", From: t0, To: t0.Add(6 * time.Hour)}
	for _, tc := range []struct {
		name string
		r    Range
		step time.Duration
		want string // "" for valid
	}{
		{"valid", ok, time.Minute, ""},
		{"one second step", Range{Tenant: "t", From: t0, To: t0.Add(time.Hour)}, time.Second, ""},
		{"exactly the bucket limit", Range{Tenant: "t", From: t0, To: t0.Add(MaxBuckets * time.Second)}, time.Second, ""},
		{"one bucket over the limit", Range{Tenant: "t", From: t0, To: t0.Add(MaxBuckets*time.Second + 1)}, time.Second, "11001 buckets"},
		{"zero step", ok, 0, "must be positive"},
		{"negative step", ok, -time.Minute, "must be positive"},
		{"sub-second step", ok, 500 * time.Millisecond, "below the minimum 1s"},
		{"too many buckets", ok, 1500 * time.Millisecond, "14400 buckets"},
		{"empty window", Range{Tenant: "t", From: t0, To: t0}, time.Minute, "must be after"},
		{"reversed window", Range{Tenant: "t", From: t0.Add(time.Hour), To: t0}, time.Minute, "must be after"},
		{"no tenant", Range{From: t0, To: t0.Add(time.Hour)}, time.Minute, "tenant is empty"},
		{"before the epoch", Range{Tenant: "t", From: time.Unix(-10, 0), To: t0}, time.Hour, "must lie between"},
		{"after 2262", Range{Tenant: "t", From: t0, To: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}, 1000 * time.Hour, "must lie between"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkRange(tc.r)
			if err == nil {
				err = checkStep(tc.r, tc.step)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
}

func TestBucketCount(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		span, step time.Duration
		want       int64
	}{
		{time.Hour, time.Minute, 60},
		{time.Hour + time.Nanosecond, time.Minute, 61}, // a partial last bucket counts
		{time.Second, time.Hour, 1},
		{1<<63 - 1, time.Second, (1<<63-1)/int64(time.Second) + 1}, // no overflow
	} {
		if got := bucketCount(Range{From: t0, To: t0.Add(tc.span)}, tc.step); got != tc.want {
			t.Errorf("bucketCount(%v / %v) = %d, want %d", tc.span, tc.step, got, tc.want)
		}
	}
}

// TestClassifyUnavailable: connection-level failures are retryable (503), anything
// ClickHouse says about the query itself is not.
func TestClassifyUnavailable(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "refused"}}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{dial, true},
		{fmt.Errorf("clickhouse [acquire]: %w", dial), true},
		{io.EOF, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{driver.ErrBadConn, true},
		{context.DeadlineExceeded, true},
		{clickhouse.ErrAcquireConnTimeout, true},
		{syscall.ECONNREFUSED, true},
		{fmt.Errorf("write: %w", syscall.EPIPE), true},
		{errors.New("attempted reading on closed connection"), true},
		{&clickhouse.Exception{Code: 81, Message: "Database x doesn't exist"}, true},
		{&clickhouse.Exception{Code: 202, Message: "Too many simultaneous queries"}, true},
		{&clickhouse.Exception{Code: 47, Message: "Missing columns: 'foo'"}, false},
		{&clickhouse.Exception{Code: 62, Message: "Syntax error"}, false},
		{errors.New("clickhouse [bind]: mixed named, numeric or positional parameters"), false},
		{context.Canceled, false},
	} {
		if got := unavailable(tc.err); got != tc.want {
			t.Errorf("unavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
