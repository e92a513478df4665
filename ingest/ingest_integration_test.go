package ingest_test

import (
	"context"
	"testing"

	"github.com/faasight/faasight/ingest"
	"github.com/faasight/faasight/internal/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

func TestMigrateIsIdempotent(t *testing.T) {
	srv := chtest.Start(t)
	db := chtest.NewDatabase(t, srv)
	conn, gotDB, err := ingest.Open(chtest.DSN(srv, db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if gotDB != db {
		t.Fatalf("database %q, want %q", gotDB, db)
	}
	ctx := context.Background()
	migs, err := ingest.Migrations(db)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := ingest.Migrate(ctx, conn, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(migs) {
		t.Fatalf("first run applied %d of %d migrations", len(applied), len(migs))
	}
	again, err := ingest.Migrate(ctx, conn, db)
	if err != nil || len(again) != 0 {
		t.Fatalf("second run: applied %d, err %v; want 0, nil", len(again), err)
	}
	v, err := ingest.SchemaVersion(ctx, conn, db)
	if err != nil || v != migs[len(migs)-1].Version {
		t.Fatalf("schema version %d (%v), want %d", v, err, migs[len(migs)-1].Version)
	}
}

// TestWriteTwiceCountsOnce: a retried Write stores duplicates that FINAL
// collapses, which is what makes retries safe.
func TestWriteTwiceCountsOnce(t *testing.T) {
	srv := chtest.Start(t)
	db := chtest.NewDatabase(t, srv)
	conn := chtest.Conn(t, srv, db)
	ctx := context.Background()
	if _, err := ingest.Migrate(ctx, conn, db); err != nil {
		t.Fatal(err)
	}
	w, err := ingest.NewWriter(conn, db)
	if err != nil {
		t.Fatal(err)
	}
	var invs []ingest.Invocation
	var spans []ingest.Span
	for i := range 1000 {
		id := string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		invs = append(invs, ingest.Invocation{Tenant: "t", StartNs: 1763856000000000000 + uint64(i)*1e6, DurationNs: 1e6,
			Function: "f", TraceID: "trace-" + id, SpanID: "span-" + id, ColdStart: i%10 == 0})
		spans = append(spans, ingest.Span{Tenant: "t", StartNs: invs[i].StartNs, TraceID: invs[i].TraceID, SpanID: invs[i].SpanID,
			Function: "f", Attrs: ingest.Attributes{Keys: []string{"k"}, Values: []string{id}}})
	}
	for range 2 {
		if err := w.Write(ctx, invs, spans); err != nil {
			t.Fatal(err)
		}
	}
	var raw, final, cold uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM "+db+".invocations").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT count(), countIf(cold_start = 1) FROM "+db+".invocations FINAL").Scan(&final, &cold); err != nil {
		t.Fatal(err)
	}
	if final != 1000 || cold != 100 {
		t.Errorf("FINAL: %d rows, %d cold; want 1000, 100 (raw rows: %d)", final, cold, raw)
	}
	var value string
	if err := conn.QueryRow(ctx, "SELECT attr_values[indexOf(attr_keys, 'k')] FROM "+db+".spans FINAL WHERE span_id = 'span-aaa'").Scan(&value); err != nil || value != "aaa" {
		t.Errorf("span attribute: %q, %v", value, err)
	}
}

func TestDatabaseNameValidated(t *testing.T) {
	for _, bad := range []string{"", "1abc", "a-b", "a`b", "x; DROP"} {
		if err := ingest.ValidateDatabaseName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ingest.Migrations("faasight"); err != nil {
		t.Fatal(err)
	}
}
