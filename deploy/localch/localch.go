// Package localch runs the private ClickHouse server that `faasight serve`
// starts when no --clickhouse DSN is given, and that integration tests use:
// Debian's clickhouse-server or the official single `clickhouse` binary,
// started as a child process with a generated config, all of its state under
// one directory.
//
// Ports default to 19000 (native) and 19001 (HTTP) rather than 9000/8123 so
// that a system ClickHouse on the same machine is never touched.
package localch

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Default ports; see the package comment.
const (
	DefaultTCPPort  = 19000
	DefaultHTTPPort = 19001
)

// InstallCommand installs ClickHouse on Debian and Ubuntu.
const InstallCommand = "sudo apt-get install -y clickhouse-server clickhouse-client"

// NotInstalledError says no ClickHouse binary was found, and how to get one.
type NotInstalledError struct{ Searched []string }

func (e *NotInstalledError) Error() string {
	return fmt.Sprintf("no ClickHouse found (looked for %s); install it with `%s` "+
		"or run deploy/install-clickhouse.sh, or pass --clickhouse DSN to use an existing server",
		strings.Join(e.Searched, ", "), InstallCommand)
}

// Options for Start.
type Options struct {
	Dir      string // state: Dir/clickhouse/{config.xml,data,log}
	TCPPort  int    // 0: a free port
	HTTPPort int    // 0: a free port
	Binary   string // override the binary search (path to clickhouse-server or clickhouse)
	Logger   *slog.Logger
	// StartTimeout bounds the wait for the server to answer (default 60 s).
	StartTimeout time.Duration
}

// Server is a running private ClickHouse.
type Server struct {
	opts    Options
	argv    []string
	root    string
	tcpPort int
	logger  *slog.Logger

	// mu guards cmd and exited: Stop, Kill and Restart may race with the
	// goroutine that reaps the process.
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

//go:embed config.xml.tmpl
var configTemplate string

var configTmpl = template.Must(template.New("config.xml").Option("missingkey=error").Parse(configTemplate))

// Start finds a ClickHouse binary, writes its config and starts it, then
// waits until it answers on the native port.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	argv, err := findBinary(opts.Binary)
	if err != nil {
		return nil, err
	}
	root, err := filepath.Abs(filepath.Join(opts.Dir, "clickhouse"))
	if err != nil {
		return nil, fmt.Errorf("localch: %w", err)
	}
	for _, d := range []string{"data", "log"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o750); err != nil {
			return nil, fmt.Errorf("localch: %w", err)
		}
	}
	if err := refuseRunning(root); err != nil {
		return nil, err
	}
	if opts.TCPPort, err = portOrFree(opts.TCPPort); err != nil {
		return nil, err
	}
	if opts.HTTPPort, err = portOrFree(opts.HTTPPort); err != nil {
		return nil, err
	}
	cfg, err := RenderConfig(root, opts.TCPPort, opts.HTTPPort)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(root, "config.xml"), cfg, 0o640); err != nil {
		return nil, fmt.Errorf("localch: write config: %w", err)
	}
	s := &Server{opts: opts, argv: argv, root: root, tcpPort: opts.TCPPort, logger: opts.Logger}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// RenderConfig is the server config for state under root.
func RenderConfig(root string, tcpPort, httpPort int) ([]byte, error) {
	var b bytes.Buffer
	err := configTmpl.Execute(&b, map[string]any{"Root": root, "TCPPort": tcpPort, "HTTPPort": httpPort})
	if err != nil {
		return nil, fmt.Errorf("localch: render config: %w", err)
	}
	return b.Bytes(), nil
}

// findBinary prefers clickhouse-server (Debian's package) and falls back to
// the official single binary. /usr/sbin is searched explicitly because a
// non-root PATH often lacks it.
func findBinary(override string) ([]string, error) {
	if override != "" {
		if _, err := os.Stat(override); err != nil {
			return nil, &NotInstalledError{Searched: []string{override}}
		}
		if filepath.Base(override) == "clickhouse" {
			return []string{override, "server"}, nil
		}
		return []string{override}, nil
	}
	searched := []string{"clickhouse-server", "clickhouse"}
	for _, name := range searched {
		if p, err := exec.LookPath(name); err == nil {
			return argvFor(name, p), nil
		}
		for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/bin"} {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return argvFor(name, p), nil
			}
		}
	}
	return nil, &NotInstalledError{Searched: searched}
}

func argvFor(name, path string) []string {
	if name == "clickhouse" {
		return []string{path, "server"}
	}
	return []string{path}
}

// portOrFree returns port if it can be bound now (a clear error beats the
// server's own log about it), or a free port for 0.
func portOrFree(port int) (int, error) {
	if port != 0 {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return 0, fmt.Errorf("localch: port %d is in use (another ClickHouse or faasight?); choose another with --clickhouse-port: %w", port, err)
		}
		l.Close()
		return port, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("localch: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) pidFile() string { return filepath.Join(s.root, "server.pid") }

// refuseRunning: two servers on one data directory corrupt it; a server
// left over from a crashed faasight must be stopped by hand (or will be,
// when it notices its parent is gone).
func refuseRunning(root string) error {
	data, err := os.ReadFile(filepath.Join(root, "server.pid"))
	if err != nil {
		return nil
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return nil
	}
	if syscall.Kill(pid, 0) != nil {
		return nil
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if !bytes.Contains(cmdline, []byte("clickhouse")) {
		return nil // pid reused by something else
	}
	return fmt.Errorf("localch: a ClickHouse (pid %d) is already running on %s; stop it (kill %d) or use another --data-dir", pid, root, pid)
}

func (s *Server) start(ctx context.Context) error {
	args := append(append([]string{}, s.argv[1:]...), "--config-file="+filepath.Join(s.root, "config.xml"))
	cmd := exec.Command(s.argv[0], args...)
	cmd.Dir = s.root
	out, err := os.OpenFile(filepath.Join(s.root, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("localch: %w", err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	// Own process group so a terminal's Ctrl-C reaches faasight, which then
	// stops the server in order; Pdeathsig so that a killed faasight does
	// not leave a server behind holding the data directory.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("localch: start %s: %w", s.argv[0], err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait() //nolint:errcheck // the exit is reported through exited
		out.Close()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	if err := os.WriteFile(s.pidFile(), []byte(strconv.Itoa(cmd.Process.Pid)), 0o640); err != nil {
		s.logger.Warn("write pid file", "err", err)
	}
	if err := s.waitReady(ctx, exited); err != nil {
		s.Kill() //nolint:errcheck // reporting the start failure
		return err
	}
	s.logger.Debug("ClickHouse is up", "addr", s.Addr(), "pid", cmd.Process.Pid)
	return nil
}

func (s *Server) waitReady(ctx context.Context, exited chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.StartTimeout)
	defer cancel()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{s.Addr()}, DialTimeout: time.Second})
	if err != nil {
		return fmt.Errorf("localch: %w", err)
	}
	defer conn.Close()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		pingCtx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		err := conn.Ping(pingCtx)
		pcancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("localch: ClickHouse exited during start-up: %s", s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("localch: ClickHouse did not answer on %s within %v (last error: %v): %s",
				s.Addr(), s.opts.StartTimeout, err, s.logTail())
		case <-tick.C:
		}
	}
}

// logTail is the end of the server's error log, for error messages.
func (s *Server) logTail() string {
	var tail []byte
	for _, name := range []string{"server.err.log", "stdout.log"} {
		data, err := os.ReadFile(filepath.Join(s.root, "log", name))
		if err == nil && len(bytes.TrimSpace(data)) > 0 {
			tail = data
			break
		}
	}
	if len(tail) > 2000 {
		tail = tail[len(tail)-2000:]
	}
	if len(tail) == 0 {
		return "(no log output)"
	}
	return strings.TrimSpace(string(tail))
}

// Addr is the native-protocol address, host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tcpPort)) }

// TCPPort is the native-protocol port.
func (s *Server) TCPPort() int { return s.tcpPort }

// DSN is a clickhouse-go DSN for database db on this server.
func (s *Server) DSN(db string) string { return "clickhouse://" + s.Addr() + "/" + db }

// Stop asks the server to shut down (SIGTERM) and kills it after 30 s.
// Stopping a stopped server is a no-op.
func (s *Server) Stop() error { return s.signal(syscall.SIGTERM, 30*time.Second) }

// Kill stops the server at once (SIGKILL), as a crash would; for fault tests.
func (s *Server) Kill() error { return s.signal(syscall.SIGKILL, 10*time.Second) }

func (s *Server) signal(sig syscall.Signal, grace time.Duration) error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-exited:
	default:
		if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("localch: signal ClickHouse: %w", err)
		}
		select {
		case <-exited:
		case <-time.After(grace):
			cmd.Process.Kill() //nolint:errcheck // last resort
			<-exited
		}
	}
	os.Remove(s.pidFile())
	s.mu.Lock()
	if s.cmd == cmd {
		s.cmd = nil
	}
	s.mu.Unlock()
	return nil
}

// Restart starts a stopped or killed server again on the same ports and
// data, and waits until it answers.
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.start(ctx)
}
