package localch_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/faasight/faasight/deploy/localch"
	"github.com/faasight/faasight/internal/chtest"
)

type row struct {
	A uint32
	B string
}

var rows = []row{{1, "one"}, {2, "two"}, {3, "three"}}

func open(t *testing.T, srv *localch.Server) clickhouse.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr()}, DialTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readRows is the table's content, in order.
func readRows(t *testing.T, srv *localch.Server) []row {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []row
	if err := open(t, srv).Select(ctx, &got, "SELECT a AS A, b AS B FROM default.kept ORDER BY a"); err != nil {
		t.Fatalf("read back: %v", err)
	}
	return got
}

func checkRows(t *testing.T, when string, srv *localch.Server) {
	t.Helper()
	got := readRows(t, srv)
	if len(got) != len(rows) {
		t.Fatalf("%s: %d rows %v, want %v", when, len(got), got, rows)
	}
	for i := range rows {
		if got[i] != rows[i] {
			t.Fatalf("%s: rows %v, want %v", when, got, rows)
		}
	}
}

// TestDataSurvivesStopStartKillRestart: rows written before a clean Stop
// are there after a new Start on the same directory, and still there after
// a SIGKILL and Restart; a second server on a directory in use is refused.
func TestDataSurvivesStopStartKillRestart(t *testing.T) {
	chtest.Require(t) // installs ClickHouse if it can; skips, or fails under CI=true
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	srv, err := localch.Start(ctx, localch.Options{Dir: dir}) // port 0: free ports
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() }) //nolint:errcheck // whichever server is current at the end
	if srv.TCPPort() == 0 || srv.Addr() != "127.0.0.1:"+strconv.Itoa(srv.TCPPort()) {
		t.Fatalf("Addr %q, TCPPort %d", srv.Addr(), srv.TCPPort())
	}
	if want := "clickhouse://" + srv.Addr() + "/default"; srv.DSN("default") != want {
		t.Errorf("DSN = %q, want %q", srv.DSN("default"), want)
	}
	if opts, err := clickhouse.ParseDSN(srv.DSN("default")); err != nil || opts.Auth.Database != "default" || opts.Addr[0] != srv.Addr() {
		t.Errorf("ParseDSN(%q) = %+v, %v", srv.DSN("default"), opts, err)
	}

	conn := open(t, srv)
	if err := conn.Exec(ctx, "CREATE TABLE default.kept (a UInt32, b String) ENGINE = MergeTree ORDER BY a"); err != nil {
		t.Fatal(err)
	}
	// 18.16 needs the column list in a native batch insert.
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO default.kept (a, b) VALUES")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := batch.Append(r.A, r.B); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	checkRows(t, "after insert", srv)

	pidFile := filepath.Join(dir, "clickhouse", "server.pid")
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	_, err = localch.Start(ctx, localch.Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "pid "+strings.TrimSpace(string(pid))) {
		t.Errorf("second Start on a directory in use: %v, want an error naming pid %s", err, pid)
	}

	port := srv.TCPPort()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop: %v, want nil", err)
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("pid file left after Stop: %v", err)
	}
	srv, err = localch.Start(ctx, localch.Options{Dir: dir, TCPPort: port})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, "after Stop and Start", srv)

	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := open(t, srv).Ping(ctx); err == nil {
		t.Fatal("ClickHouse still answers after Kill")
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if srv.TCPPort() != port {
		t.Errorf("Restart moved the server from port %d to %d", port, srv.TCPPort())
	}
	checkRows(t, "after Kill and Restart", srv)
}
