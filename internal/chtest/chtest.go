// Package chtest starts real ClickHouse servers for integration tests: one
// shared server per test binary (each test gets its own database) and
// private servers for tests that stop and restart ClickHouse.
//
// A missing ClickHouse is installed with deploy/install-clickhouse.sh; if
// that fails the test fails under CI=true and is skipped otherwise.
package chtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/faasight/faasight/deploy/localch"
)

var (
	// mu guards shared, sharedDir and sharedErr: tests in one binary may
	// start in parallel.
	mu        sync.Mutex
	shared    *localch.Server
	sharedDir string
	sharedErr error
)

// Start returns the test binary's shared ClickHouse, starting it on first
// use. Call Shutdown from TestMain to stop it.
func Start(tb testing.TB) *localch.Server {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if shared == nil && sharedErr == nil {
		sharedDir, sharedErr = os.MkdirTemp("", "faasight-chtest-")
		if sharedErr == nil {
			shared, sharedErr = startIn(tb, sharedDir)
		}
	}
	if sharedErr != nil {
		unavailable(tb, sharedErr)
	}
	return shared
}

// Shutdown stops the shared server and removes its files.
func Shutdown() {
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		shared.Stop() //nolint:errcheck // test teardown
		shared = nil
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
		sharedDir = ""
	}
}

// StartPrivate starts a server of the test's own, stopped at cleanup; for
// tests that kill or restart ClickHouse.
func StartPrivate(tb testing.TB) *localch.Server {
	tb.Helper()
	srv, err := startIn(tb, tb.TempDir())
	if err != nil {
		unavailable(tb, err)
	}
	tb.Cleanup(func() { srv.Stop() }) //nolint:errcheck // test teardown
	return srv
}

func startIn(tb testing.TB, dir string) (*localch.Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := localch.Options{Dir: dir}
	srv, err := localch.Start(ctx, opts)
	var missing *localch.NotInstalledError
	if errors.As(err, &missing) {
		if ierr := install(tb); ierr != nil {
			return nil, fmt.Errorf("%w; installing failed: %v", err, ierr)
		}
		srv, err = localch.Start(ctx, opts)
	}
	return srv, err
}

func install(tb testing.TB) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tb.Logf("ClickHouse is missing; running deploy/install-clickhouse.sh")
	out, err := exec.Command(filepath.Join(root, "deploy", "install-clickhouse.sh")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// unavailable fails under CI (a missing ClickHouse there is a broken
// build, never a pass) and skips on a developer machine.
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("ClickHouse unavailable: %v", err)
	}
	tb.Skipf("ClickHouse unavailable (set CI=true to fail instead): %v", err)
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// NewDatabase creates an empty database for the test on srv and drops it
// at cleanup.
func NewDatabase(tb testing.TB, srv *localch.Server) string {
	tb.Helper()
	name := unsafeChars.ReplaceAllString(strings.ToLower(tb.Name()), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	name = fmt.Sprintf("t_%s_%06d", name, rand.IntN(1_000_000))
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr()}})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if err := conn.Exec(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		conn.Exec(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`") //nolint:errcheck // test teardown
		conn.Close()
	})
	return name
}

// DSN is the clickhouse-go DSN for database db on srv.
func DSN(srv *localch.Server, db string) string { return srv.DSN(db) }
