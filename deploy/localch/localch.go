// Package localch owns the private ClickHouse server that faasight starts
// itself: the one `faasight serve` runs when no --clickhouse DSN is given,
// and the ones integration tests run. It finds Debian's clickhouse-server or
// the official single `clickhouse` binary, writes a config that keeps all of
// the server's state under one directory, runs it as a child process and
// stops it again.
//
// Ports default to 19000 (native) and 18123 (HTTP), not ClickHouse's own
// 9000/8123: a system ClickHouse on the same machine must never be touched,
// and 9000 is also a popular port for other software (php-fpm, MinIO). The
// HTTP port is only opened because the server wants one; faasight speaks the
// native protocol.
package localch

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Defaults; see the package comment for the ports.
const (
	DefaultTCPPort  = 19000
	DefaultHTTPPort = 18123
	// DefaultStartTimeout covers a first start on a slow disk, which
	// creates the system tables; a warm start takes about a second.
	DefaultStartTimeout = 60 * time.Second
	// stopGrace is how long Stop waits after SIGTERM: ClickHouse flushes
	// in-memory parts and logs on the way out, and only a SIGKILL after
	// that risks losing what was acknowledged.
	stopGrace = 30 * time.Second
)

// InstallCommand installs ClickHouse on Debian and Ubuntu.
const InstallCommand = "sudo apt-get install -y clickhouse-server clickhouse-client"

// InstallScript is the repository's idempotent installer, relative to the
// repository root.
const InstallScript = "deploy/install-clickhouse.sh"

// NotInstalledError says no ClickHouse binary was found, and how to get one.
type NotInstalledError struct {
	// Searched lists what was looked for: names on PATH and paths.
	Searched []string
}

func (e *NotInstalledError) Error() string {
	return fmt.Sprintf("localch: no ClickHouse server found (looked for %s); "+
		"install it with `%s` (Debian/Ubuntu) or run %s from the faasight repository, "+
		"or pass --clickhouse DSN to use an existing server",
		strings.Join(e.Searched, ", "), InstallCommand, InstallScript)
}

// Options for Start.
type Options struct {
	// Dir holds the server's state: Dir/clickhouse/{config.xml,data,log,server.pid}.
	Dir string
	// TCPPort and HTTPPort are the native and HTTP ports; 0 picks a free
	// loopback port. Callers wanting the fixed defaults pass
	// DefaultTCPPort and DefaultHTTPPort.
	TCPPort, HTTPPort int
	Logger            *slog.Logger
	// Binary overrides the search: a path to clickhouse-server, or to the
	// single `clickhouse` binary (run as `clickhouse server`).
	Binary string
	// StartTimeout bounds the wait for the server to answer
	// (DefaultStartTimeout if 0); ctx's deadline applies too.
	StartTimeout time.Duration
}

// Server is a running private ClickHouse. Its methods may be called from
// any goroutine; Stop, Kill and Restart are not meant to race each other.
type Server struct {
	argv         []string
	root         string
	tcpPort      int
	startTimeout time.Duration
	logger       *slog.Logger

	// mu guards cmd and exited, which Stop, Kill and Restart swap while the
	// goroutine that reaps the process closes exited.
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

//go:embed config.xml.tmpl
var configTemplate string

var configTmpl = template.Must(template.New("config.xml").Option("missingkey=error").Parse(configTemplate))

// Config is what the generated server config depends on.
type Config struct {
	Root              string // state directory (Dir/clickhouse), absolute
	TCPPort, HTTPPort int
	// LegacyLowCardinality sets allow_experimental_low_cardinality_type=1 in
	// the default profile: 18.x needs it for LowCardinality columns, and
	// current releases refuse it as an unknown setting.
	LegacyLowCardinality bool
}

// RenderConfig renders the server config.
func RenderConfig(c Config) ([]byte, error) {
	var b bytes.Buffer
	if err := configTmpl.Execute(&b, c); err != nil {
		return nil, fmt.Errorf("localch: render config: %w", err)
	}
	return b.Bytes(), nil
}

// Start finds a ClickHouse binary, writes its config and starts it, then
// waits until it answers on the native port. A server still running on the
// same directory is an error, never shared: two servers on one data
// directory would corrupt it.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	argv, err := FindBinary(opts.Binary)
	if err != nil {
		return nil, err
	}
	root, err := filepath.Abs(filepath.Join(opts.Dir, "clickhouse"))
	if err != nil {
		return nil, fmt.Errorf("localch: start: %w", err)
	}
	for _, d := range []string{"data", "log"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o750); err != nil {
			return nil, fmt.Errorf("localch: start: %w", err)
		}
	}
	if err := refuseRunning(root); err != nil {
		return nil, err
	}
	tcpPort, httpPort, err := pickPorts(opts.TCPPort, opts.HTTPPort)
	if err != nil {
		return nil, err
	}
	version, legacy := serverVersion(ctx, argv)
	opts.Logger.Debug("ClickHouse binary", "argv", argv, "version", version, "legacy_low_cardinality", legacy)
	cfg, err := RenderConfig(Config{Root: root, TCPPort: tcpPort, HTTPPort: httpPort, LegacyLowCardinality: legacy})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(root, "config.xml"), cfg, 0o640); err != nil {
		return nil, fmt.Errorf("localch: start: write config: %w", err)
	}
	s := &Server{argv: argv, root: root, tcpPort: tcpPort, startTimeout: opts.StartTimeout, logger: opts.Logger}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// FindBinary returns the command that runs a ClickHouse server: the
// override if given, else clickhouse-server (Debian's package), else the
// official single binary as `clickhouse server`. Besides PATH it looks in
// /usr/sbin, /usr/bin and /usr/local/bin, because a non-root PATH often
// lacks /usr/sbin, where Debian puts clickhouse-server.
func FindBinary(override string) ([]string, error) {
	return findBinary(override, []string{"/usr/sbin", "/usr/bin", "/usr/local/bin"})
}

func findBinary(override string, dirs []string) ([]string, error) {
	if override != "" {
		// An explicit choice that does not exist is reported, not
		// silently replaced by whatever else is installed.
		if !isExecutable(override) {
			return nil, &NotInstalledError{Searched: []string{override}}
		}
		return argvFor(filepath.Base(override), override), nil
	}
	var searched []string
	for _, name := range []string{"clickhouse-server", "clickhouse"} {
		searched = append(searched, name+" on PATH")
		if p, err := exec.LookPath(name); err == nil {
			return argvFor(name, p), nil
		}
		for _, dir := range dirs {
			p := filepath.Join(dir, name)
			searched = append(searched, p)
			if isExecutable(p) {
				return argvFor(name, p), nil
			}
		}
	}
	return nil, &NotInstalledError{Searched: searched}
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

func argvFor(name, path string) []string {
	if name == "clickhouse" {
		return []string{path, "server"}
	}
	return []string{path}
}

// versionRe finds "21.8.3" in "ClickHouse server version 21.8.3.44 (official build)."
var versionRe = regexp.MustCompile(`\b(\d+)\.(\d+)\.\d+`)

// serverVersion asks the binary for its version. Only 18.x lacks a
// --version option, and 18.x is the only series that needs the
// LowCardinality setting, so a binary that prints no version is taken to be
// 18.x ("legacy"). A 19.x server accepts the setting as obsolete, so the
// boundary is not delicate.
func serverVersion(ctx context.Context, argv []string) (version string, legacy bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	args := append(append([]string{}, argv[1:]...), "--version")
	cmd := exec.CommandContext(ctx, argv[0], args...)
	cmd.WaitDelay = time.Second    // a child left holding the output pipe must not hang Start
	out, _ := cmd.CombinedOutput() // 18.x exits non-zero: that is the signal
	m := versionRe.FindSubmatch(out)
	if m == nil {
		return "", true
	}
	major, _ := strconv.Atoi(string(m[1]))
	return string(m[0]), major < 19
}

// pickPorts checks that fixed ports can be bound now (a clear error beats
// the server's own log line about it) and picks free ports for 0. Every
// listener stays open until both ports are chosen, so two zeros never get
// the same port.
func pickPorts(tcp, http int) (int, int, error) {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	pick := func(port int, what string) (int, error) {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			if port != 0 {
				return 0, fmt.Errorf("localch: start: %s port %d is in use (another ClickHouse or faasight?); choose another: %w", what, port, err)
			}
			return 0, fmt.Errorf("localch: start: find a free port: %w", err)
		}
		held = append(held, l)
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	tcp, err := pick(tcp, "native")
	if err != nil {
		return 0, 0, err
	}
	http, err = pick(http, "HTTP")
	if err != nil {
		return 0, 0, err
	}
	return tcp, http, nil
}

func (s *Server) pidFile() string { return filepath.Join(s.root, "server.pid") }

// refuseRunning fails if the pid file names a live ClickHouse: a server
// left over from a crashed faasight must be stopped, not shared.
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
		return nil // the pid now belongs to something else
	}
	return fmt.Errorf("localch: start: a ClickHouse (pid %d) from an earlier run is still running on %s; "+
		"stop it (kill %d) or use another data directory", pid, root, pid)
}

// logOffsets are the sizes of the server's logs before a start, so that an
// error shows what this start wrote and not an old run's complaints.
type logOffsets map[string]int64

var logNames = []string{"server.err.log", "stdout.log"}

func (s *Server) logOffsets() logOffsets {
	offs := logOffsets{}
	for _, name := range logNames {
		if st, err := os.Stat(filepath.Join(s.root, "log", name)); err == nil {
			offs[name] = st.Size()
		}
	}
	return offs
}

func (s *Server) start(ctx context.Context) error {
	offs := s.logOffsets()
	args := append(append([]string{}, s.argv[1:]...), "--config-file="+filepath.Join(s.root, "config.xml"))
	cmd := exec.Command(s.argv[0], args...)
	cmd.Dir = s.root
	out, err := os.OpenFile(filepath.Join(s.root, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("localch: start: %w", err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	// Own process group, so a terminal's Ctrl-C reaches faasight alone and
	// faasight stops the server in order. Pdeathsig, so a faasight killed
	// with SIGKILL does not leave a server holding the data directory.
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
	if err := os.WriteFile(s.pidFile(), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o640); err != nil {
		s.logger.Warn("write ClickHouse pid file", "err", err)
	}
	if err := s.waitReady(ctx, exited, offs); err != nil {
		s.Kill() //nolint:errcheck // the start failure is the error to report
		return err
	}
	s.logger.Debug("ClickHouse is up", "addr", s.Addr(), "pid", cmd.Process.Pid, "dir", s.root)
	return nil
}

// waitReady polls the native port until a ping succeeds, the process exits
// or the deadline passes.
func (s *Server) waitReady(ctx context.Context, exited <-chan struct{}, offs logOffsets) error {
	ctx, cancel := context.WithTimeout(ctx, s.startTimeout)
	defer cancel()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{s.Addr()}, DialTimeout: time.Second})
	if err != nil {
		return fmt.Errorf("localch: start: %w", err)
	}
	defer conn.Close()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		pingCtx, pingCancel := context.WithTimeout(ctx, 2*time.Second)
		err := conn.Ping(pingCtx)
		pingCancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("localch: start: ClickHouse exited before answering; its log says:\n%s", s.logTail(offs))
		case <-ctx.Done():
			return fmt.Errorf("localch: start: ClickHouse did not answer on %s in time (last error: %v); its log says:\n%s",
				s.Addr(), err, s.logTail(offs))
		case <-tick.C:
		}
	}
}

// logTail is the end of what the server wrote to its logs since offs.
func (s *Server) logTail(offs logOffsets) string {
	const limit = 2000
	var parts []string
	for _, name := range logNames {
		f, err := os.Open(filepath.Join(s.root, "log", name))
		if err != nil {
			continue
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			continue
		}
		from := offs[name]
		if st.Size()-from > limit {
			from = st.Size() - limit
		}
		data, _ := io.ReadAll(io.NewSectionReader(f, from, st.Size()-from))
		f.Close()
		if text := strings.TrimSpace(string(data)); text != "" {
			parts = append(parts, name+":\n"+text)
		}
	}
	if len(parts) == 0 {
		return "(nothing; see " + filepath.Join(s.root, "log") + ")"
	}
	return strings.Join(parts, "\n")
}

// Addr is the native-protocol address, host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tcpPort)) }

// TCPPort is the native-protocol port.
func (s *Server) TCPPort() int { return s.tcpPort }

// DSN is the clickhouse-go DSN for database db on this server, e.g.
// clickhouse://127.0.0.1:19000/default.
func (s *Server) DSN(db string) string { return "clickhouse://" + s.Addr() + "/" + db }

// Stop asks the server to shut down (SIGTERM) and kills it if it is still
// running after 30 s. Stopping a stopped server does nothing.
func (s *Server) Stop() error { return s.signal(syscall.SIGTERM, stopGrace) }

// Kill stops the server at once (SIGKILL), as a crash would; for fault
// tests. Data already on disk survives; Restart brings the server back.
func (s *Server) Kill() error { return s.signal(syscall.SIGKILL, stopGrace) }

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
		// The whole group: the server's own helpers (odbc-bridge) go too.
		// The pid is still ours: exited is open, so it is not reaped.
		if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("localch: stop: signal ClickHouse (pid %d): %w", cmd.Process.Pid, err)
		}
		select {
		case <-exited:
		case <-time.After(grace):
			s.logger.Warn("ClickHouse did not stop in time; killing it", "pid", cmd.Process.Pid, "grace", grace)
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) //nolint:errcheck // last resort; exited tells
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

// Restart starts the server again on the same ports and data directory
// (stopping it first if it is running) and waits until it answers.
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.start(ctx)
}
