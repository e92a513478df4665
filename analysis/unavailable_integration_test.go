package analysis_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/faasight/faasight/analysis"
	"github.com/faasight/faasight/analysis/pricing"
	"github.com/faasight/faasight/ingest"
	"github.com/faasight/faasight/internal/chtest"
)

// everyReport calls each method of r and returns the errors by name.
func everyReport(ctx context.Context, r *analysis.Reports) map[string]error {
	w := analysis.Range{Tenant: tenant, From: from, To: to}
	out := map[string]error{"Ready": r.Ready(ctx)}
	_, out["Functions"] = r.Functions(ctx, w)
	_, out["ColdStarts"] = r.ColdStarts(ctx, w, "api-gateway", time.Hour)
	_, out["Latency"] = r.Latency(ctx, w, "api-gateway", time.Hour)
	_, out["Cost"] = r.Cost(ctx, w)
	return out
}

func reportsOn(tb testing.TB, conn driver.Conn, db string) *analysis.Reports {
	tb.Helper()
	catalog, err := pricing.Load()
	if err != nil {
		tb.Fatal(err)
	}
	r, err := analysis.New(conn, db, catalog, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// TestUnavailable: whenever ClickHouse does not answer, every report says
// ErrUnavailable (the API's 503), never a bare error (500).
func TestUnavailable(t *testing.T) {
	t.Run("nothing listening", func(t *testing.T) {
		conn, db, err := ingest.Open("clickhouse://127.0.0.1:1/faasight")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for name, err := range everyReport(context.Background(), reportsOn(t, conn, db)) {
			if !errors.Is(err, analysis.ErrUnavailable) {
				t.Errorf("%s: %v, want ErrUnavailable", name, err)
			} else {
				t.Logf("%s: %v", name, err)
			}
		}
	})

	t.Run("server never answers", func(t *testing.T) {
		// Accepts connections and says nothing: a hung server. The
		// caller's deadline is what ends each query.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		// A short dial timeout: clickhouse-go bounds the handshake with it
		// rather than with the context.
		conn, db, err := ingest.Open("clickhouse://" + l.Addr().String() + "/faasight?dial_timeout=300ms")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		r := reportsOn(t, conn, db)
		if err := r.Ready(ctx); !errors.Is(err, analysis.ErrUnavailable) {
			t.Errorf("Ready: %v, want ErrUnavailable", err)
		} else {
			t.Logf("Ready: %v", err)
		}
	})

	t.Run("connection closed", func(t *testing.T) {
		e := newEnv(t)
		e.conn.Close()
		for name, err := range everyReport(context.Background(), e.reports) {
			if !errors.Is(err, analysis.ErrUnavailable) {
				t.Errorf("%s: %v, want ErrUnavailable", name, err)
			} else {
				t.Logf("%s: %v", name, err)
			}
		}
	})

	t.Run("server stopped", func(t *testing.T) {
		srv := chtest.StartPrivate(t)
		// Migrate creates the database; chtest.NewDatabase would try to
		// drop it from the killed server at cleanup.
		conn, db, err := ingest.Open(chtest.DSN(srv, "faasight"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx := context.Background()
		if _, err := ingest.Migrate(ctx, conn, db); err != nil {
			t.Fatal(err)
		}
		r := reportsOn(t, conn, db)
		if err := r.Ready(ctx); err != nil {
			t.Fatalf("Ready before the kill: %v", err)
		}
		if err := srv.Kill(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		for name, err := range everyReport(ctx, r) {
			if !errors.Is(err, analysis.ErrUnavailable) {
				t.Errorf("%s: %v, want ErrUnavailable", name, err)
			} else {
				t.Logf("%s: %v", name, err)
			}
		}
	})

	t.Run("schema not migrated", func(t *testing.T) {
		srv := chtest.Start(t)
		db := chtest.NewDatabase(t, srv)
		conn := chtest.Conn(t, srv, db)
		for name, err := range everyReport(context.Background(), reportsOn(t, conn, db)) {
			if !errors.Is(err, analysis.ErrUnavailable) {
				t.Errorf("%s: %v, want ErrUnavailable", name, err)
			} else {
				t.Logf("%s: %v", name, err)
			}
		}
	})
}

// TestQueryBugIsNotUnavailable: an exception about the query (here: a
// table without the columns the SQL expects) is faasight's bug — a 500,
// not a 503 that would make clients retry forever.
func TestQueryBugIsNotUnavailable(t *testing.T) {
	srv := chtest.Start(t)
	db := chtest.NewDatabase(t, srv)
	conn := chtest.Conn(t, srv, db)
	ctx := context.Background()
	if err := conn.Exec(ctx, "CREATE TABLE `"+db+"`.invocations (tenant String, date Date, start_ns UInt64) "+
		"ENGINE = ReplacingMergeTree PARTITION BY date ORDER BY (tenant, start_ns)"); err != nil {
		t.Fatal(err)
	}
	r := reportsOn(t, conn, db)
	errs := everyReport(ctx, r)
	if errs["Ready"] != nil {
		t.Errorf("Ready: %v, want nil (the table exists)", errs["Ready"])
	}
	delete(errs, "Ready")
	for name, err := range errs {
		var ex *clickhouse.Exception
		if err == nil || errors.Is(err, analysis.ErrUnavailable) || errors.Is(err, analysis.ErrInvalid) || !errors.As(err, &ex) {
			t.Errorf("%s: %v, want the ClickHouse exception, neither unavailable nor invalid", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
