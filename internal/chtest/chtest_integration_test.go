package chtest_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/faasight/faasight/internal/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

func TestDatabaseName(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"Plain", `^t_testdatabasename_plain_[0-9a-f]{8}$`},
		{"With/Slash", `^t_testdatabasename_with_slash_[0-9a-f]{8}$`},
		// The test name part is cut at 40 bytes.
		{"a very-long subtest name that goes on and on", `^t_testdatabasename_a_very_long_subtest_nam_[0-9a-f]{8}$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := chtest.DatabaseName(t); !regexp.MustCompile(tc.want).MatchString(got) {
				t.Errorf("DatabaseName = %q, want %s", got, tc.want)
			}
		})
	}
}

// TestSharedServerAndDatabases: tests share one server, each database is
// reachable through its DSN, and a test's database is dropped after it.
func TestSharedServerAndDatabases(t *testing.T) {
	srv := chtest.Start(t)
	if again := chtest.Start(t); again != srv {
		t.Fatalf("second Start returned another server (%s, %s)", srv.Addr(), again.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var dbs []string
	for _, name := range []string{"first", "second"} {
		t.Run(name, func(t *testing.T) {
			db := chtest.NewDatabase(t, srv)
			opts, err := clickhouse.ParseDSN(chtest.DSN(srv, db))
			if err != nil {
				t.Fatal(err)
			}
			conn, err := clickhouse.Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var current string
			if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&current); err != nil {
				t.Fatal(err)
			}
			if current != db {
				t.Errorf("DSN %s connects to database %q, want %q", chtest.DSN(srv, db), current, db)
			}
			dbs = append(dbs, db)
		})
	}
	if len(dbs) != 2 || dbs[0] == dbs[1] {
		t.Fatalf("databases %q, want two different ones", dbs)
	}
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var left uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name IN (?, ?)", dbs[0], dbs[1]).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d of the subtests' databases %q still exist after their cleanup", left, dbs)
	}
}

// TestStartPrivate: a private server is not the shared one and answers.
func TestStartPrivate(t *testing.T) {
	srv := chtest.StartPrivate(t)
	if shared := chtest.Start(t); shared.Addr() == srv.Addr() {
		t.Fatalf("private server shares the address %s with the shared one", srv.Addr())
	}
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}
