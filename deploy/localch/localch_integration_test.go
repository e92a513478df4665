package localch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/faasight/faasight/deploy/localch"
	"github.com/faasight/faasight/internal/chtest"
)

func count(t *testing.T, srv *localch.Server) uint64 {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT count() FROM default.kept").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDataSurvivesStopAndKill: rows written before a clean stop, a new
// Start on the same directory, and a SIGKILL + Restart are all still there.
func TestDataSurvivesStopAndKill(t *testing.T) {
	chtest.StartPrivate(t) // installs ClickHouse if needed, or skips/fails
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := localch.Start(ctx, localch.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop() //nolint:errcheck
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec(ctx, "CREATE TABLE default.kept (n UInt32) ENGINE = MergeTree ORDER BY n"); err != nil {
		t.Fatal(err)
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO default.kept (n) VALUES")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := b.Append(uint32(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	port := srv.TCPPort()

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "clickhouse", "server.pid")); !os.IsNotExist(err) {
		t.Errorf("pid file left after Stop: %v", err)
	}
	srv, err = localch.Start(ctx, localch.Options{Dir: dir, TCPPort: port})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, srv); n != 3 {
		t.Fatalf("after Stop/Start: %d rows, want 3", n)
	}
	if _, err := localch.Start(ctx, localch.Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second server on the same directory: %v, want 'already running'", err)
	}
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, srv); n != 3 {
		t.Fatalf("after Kill/Restart: %d rows, want 3", n)
	}
}

func TestMissingBinary(t *testing.T) {
	_, err := localch.Start(context.Background(), localch.Options{Dir: t.TempDir(), Binary: "/nonexistent/clickhouse-server"})
	var missing *localch.NotInstalledError
	if !errors.As(err, &missing) {
		t.Fatalf("err = %v, want *NotInstalledError", err)
	}
	if !strings.Contains(err.Error(), localch.InstallCommand) {
		t.Errorf("message %q lacks the install command", err)
	}
}

func TestRenderConfigGolden(t *testing.T) {
	got, err := localch.RenderConfig("/var/lib/faasight/clickhouse", 19000, 19001)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "config.golden.xml")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		os.WriteFile(golden, got, 0o644) //nolint:errcheck
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("config differs from %s:\n%s", golden, got)
	}
}
