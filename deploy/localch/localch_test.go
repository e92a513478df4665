package localch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faasight/faasight/internal/golden"
)

func TestRenderConfigGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		cfg    Config
	}{
		{"config.current.golden.xml", Config{Root: "/var/lib/faasight/clickhouse", TCPPort: DefaultTCPPort, HTTPPort: DefaultHTTPPort}},
		{"config.legacy.golden.xml", Config{Root: "/var/lib/faasight/clickhouse", TCPPort: DefaultTCPPort, HTTPPort: DefaultHTTPPort, LegacyLowCardinality: true}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			got, err := RenderConfig(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tc.golden), got)
		})
	}
}

// fakeBinary writes an executable shell script named name into a new
// directory and returns its path.
func fakeBinary(t *testing.T, name, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFindBinary(t *testing.T) {
	server := fakeBinary(t, "clickhouse-server", "exit 0")
	single := fakeBinary(t, "clickhouse", "exit 0")
	for _, tc := range []struct {
		name     string
		path     string // PATH
		override string
		dirs     []string
		want     []string // nil: *NotInstalledError
	}{
		{name: "nothing anywhere", dirs: nil},
		{name: "override nowhere", override: "/nonexistent/clickhouse-server", dirs: []string{filepath.Dir(server)}},
		{name: "override server", override: server, want: []string{server}},
		{name: "override single binary", override: single, want: []string{single, "server"}},
		{name: "server on PATH", path: filepath.Dir(server), want: []string{server}},
		{name: "single binary on PATH", path: filepath.Dir(single), want: []string{single, "server"}},
		{name: "server in a searched dir", dirs: []string{filepath.Dir(single), filepath.Dir(server)}, want: []string{server}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			got, err := findBinary(tc.override, tc.dirs)
			if tc.want == nil {
				var missing *NotInstalledError
				if !errors.As(err, &missing) {
					t.Fatalf("findBinary = %v, %v; want *NotInstalledError", got, err)
				}
				return
			}
			if err != nil || strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("findBinary = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestStartMissingBinary: no binary yields *NotInstalledError whose message
// says how to install one.
func TestStartMissingBinary(t *testing.T) {
	t.Setenv("PATH", "")
	_, err := Start(context.Background(), Options{Dir: t.TempDir(), Binary: "/nonexistent/clickhouse-server"})
	var missing *NotInstalledError
	if !errors.As(err, &missing) {
		t.Fatalf("err = %v, want *NotInstalledError", err)
	}
	for _, want := range []string{"sudo apt-get install -y clickhouse-server clickhouse-client", "deploy/install-clickhouse.sh"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

// TestStartEarlyExit: a server that dies during start-up is reported with
// what it wrote, not as a time-out.
func TestStartEarlyExit(t *testing.T) {
	bin := fakeBinary(t, "clickhouse-server", `[ "$1" = --version ] && exit 64; echo "Exception: Cannot parse config: boom" >&2; exit 70`)
	dir := t.TempDir()
	_, err := Start(context.Background(), Options{Dir: dir, Binary: bin, StartTimeout: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "Cannot parse config: boom") {
		t.Fatalf("err = %v, want an early-exit error quoting the log", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "clickhouse", "server.pid")); !os.IsNotExist(err) {
		t.Errorf("pid file left after a failed start: %v", err)
	}
}

// TestStartTimeout: a server that never answers is killed and reported
// when the deadline passes.
func TestStartTimeout(t *testing.T) {
	bin := fakeBinary(t, "clickhouse-server", `[ "$1" = --version ] && exit 64; echo "still loading" >&2; exec sleep 300`)
	_, err := Start(context.Background(), Options{Dir: t.TempDir(), Binary: bin, StartTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "did not answer") || !strings.Contains(err.Error(), "still loading") {
		t.Fatalf("err = %v, want a time-out error quoting the log", err)
	}
}

func TestPickPorts(t *testing.T) {
	tcp, http, err := pickPorts(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tcp == 0 || http == 0 || tcp == http {
		t.Errorf("pickPorts(0, 0) = %d, %d; want two different free ports", tcp, http)
	}
	if got, _, err := pickPorts(tcp, 0); err != nil || got != tcp {
		t.Errorf("pickPorts(%d, 0) = %d, %v; want the fixed port back", tcp, got, err)
	}
}
