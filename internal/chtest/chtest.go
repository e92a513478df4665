// Package chtest owns the real ClickHouse servers that integration tests run
// against: one shared server per test binary, in which every test gets a
// database of its own, and private servers for tests that stop, kill or
// restart ClickHouse.
//
// A missing ClickHouse is installed with deploy/install-clickhouse.sh. If it
// is still missing, the test fails under CI=true (a CI run without its
// database proves nothing) and is skipped otherwise. A ClickHouse that is
// installed but does not start always fails the test.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		chtest.Shutdown()
//		os.Exit(code)
//	}
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
	"github.com/faasight/faasight/ingest"
)

// startTimeout is generous: under `go test ./...` several test binaries
// start servers at once on a loaded machine.
const startTimeout = 2 * time.Minute

// State is per test binary by nature (one shared server per binary, one
// install attempt per binary); it lives here and not in each TestMain so
// that every package uses it the same way.
var (
	// installMu guards installChecked and installErr: the install script
	// runs at most once per test binary.
	installMu      sync.Mutex
	installChecked bool
	installErr     error

	// sharedMu guards shared, sharedDir and sharedErr: parallel tests ask
	// for the shared server at the same time.
	sharedMu  sync.Mutex
	shared    *localch.Server
	sharedDir string
	sharedErr error
)

// Require makes sure a ClickHouse binary is installed, running the install
// script if needed; if there is still none it fails the test under CI=true
// and skips it otherwise.
func Require(tb testing.TB) {
	tb.Helper()
	if err := ensureInstalled(tb); err != nil {
		unavailable(tb, err)
	}
}

// Start returns the test binary's shared ClickHouse (free ports, a
// temporary directory), starting it on first use. Tests share it through
// NewDatabase; call Shutdown from TestMain to stop it.
func Start(tb testing.TB) *localch.Server {
	tb.Helper()
	Require(tb)
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		sharedDir, sharedErr = os.MkdirTemp("", "faasight-chtest-")
		if sharedErr == nil {
			shared, sharedErr = startIn(sharedDir)
		}
	}
	if sharedErr != nil {
		tb.Fatalf("chtest: start the shared ClickHouse: %v", sharedErr)
	}
	return shared
}

// Main is a whole TestMain for packages that use Start:
//
//	func TestMain(m *testing.M) { chtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	Shutdown()
	os.Exit(code)
}

// Shutdown stops the shared server, if one was started, and removes its
// files. Call it from TestMain after m.Run (or use Main).
func Shutdown() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "chtest: stop the shared ClickHouse: %v\n", err)
		}
		shared = nil
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
		sharedDir = ""
	}
	sharedErr = nil
}

// StartPrivate starts a server for this test alone (free ports, the test's
// temporary directory), stopped at cleanup; for tests that kill or restart
// ClickHouse.
func StartPrivate(tb testing.TB) *localch.Server {
	tb.Helper()
	Require(tb)
	srv, err := startIn(tb.TempDir())
	if err != nil {
		tb.Fatalf("chtest: start a private ClickHouse: %v", err)
	}
	// Registered after TempDir's own cleanup, so it runs first: the server
	// is gone before its directory is removed.
	tb.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			tb.Errorf("chtest: stop the private ClickHouse: %v", err)
		}
	})
	return srv
}

func startIn(dir string) (*localch.Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	return localch.Start(ctx, localch.Options{Dir: dir, StartTimeout: startTimeout})
}

func ensureInstalled(tb testing.TB) error {
	tb.Helper()
	installMu.Lock()
	defer installMu.Unlock()
	if installChecked {
		return installErr
	}
	installChecked = true
	if _, err := localch.FindBinary(""); err == nil {
		return nil
	}
	tb.Logf("chtest: ClickHouse is missing; running %s", localch.InstallScript)
	scriptErr := runInstallScript()
	if _, err := localch.FindBinary(""); err != nil {
		if scriptErr != nil {
			err = fmt.Errorf("%w (%s failed: %v)", err, localch.InstallScript, scriptErr)
		}
		installErr = err
	}
	return installErr
}

func runInstallScript() error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	// apt-get on a slow mirror takes minutes; the bound only stops a hang.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, localch.InstallScript))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// repoRoot is the nearest directory above the working directory (a test's
// package directory) that holds go.mod.
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

// unavailable skips only for a missing binary, and only outside CI.
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	var missing *localch.NotInstalledError
	if !errors.As(err, &missing) {
		tb.Fatalf("chtest: %v", err)
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("chtest: ClickHouse is required under CI=true: %v", err)
	}
	tb.Skipf("chtest: skipping, ClickHouse is not installed (CI=true makes this a failure): %v", err)
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// DatabaseName is a fresh database name for the test:
// t_<test name, lower case, [a-z0-9_] only, at most 40 bytes>_<8 hex digits>.
func DatabaseName(tb testing.TB) string {
	name := unsafeChars.ReplaceAllString(strings.ToLower(tb.Name()), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("t_%s_%08x", name, rand.Uint32())
}

// NewDatabase creates an empty database for the test on srv, dropped at
// cleanup, and returns its name. Tests sharing a server never see each
// other's tables.
func NewDatabase(tb testing.TB, srv *localch.Server) string {
	tb.Helper()
	name := DatabaseName(tb)
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr()}})
	if err != nil {
		tb.Fatalf("chtest: connect to %s: %v", srv.Addr(), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// name is [a-z0-9_] only, so quoting it is enough.
	if err := conn.Exec(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		conn.Close()
		tb.Fatalf("chtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			tb.Logf("chtest: drop database %s: %v", name, err)
		}
	})
	return name
}

// Conn is a connection to database db on srv, closed at cleanup.
func Conn(tb testing.TB, srv *localch.Server, db string) ingest.Conn {
	tb.Helper()
	conn, _, err := ingest.Open(DSN(srv, db))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}

// DSN is the clickhouse-go DSN for database db on srv.
func DSN(srv *localch.Server, db string) string { return srv.DSN(db) }
