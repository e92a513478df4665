package lambdaruntime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// environment is one execution environment: one function process and the
// Runtime API endpoint it alone talks to (its own loopback listener).
//
// Invoke (the platform side) and the API handlers (the function side) meet
// through channels; the process's life is observed by one watcher goroutine.
type environment struct {
	id        string
	logStream string
	fn        *function

	ready    chan time.Time   // cap 1: the function called /next, i.e. waits for an event
	assign   chan *invocation // cap 1: the event the pending /next hands over
	initErr  chan fnError     // cap 1: the function reported an init error
	stopping chan struct{}    // closed once the environment is being stopped
	exited   chan struct{}    // closed after the process was waited for
	stopOnce sync.Once

	// Written before the process starts, read-only after.
	cmd     *exec.Cmd
	srv     *http.Server
	started time.Time

	// status is /proc/PID/status, open for the process's life: reading it
	// after each invocation is then one pread, and can never read a
	// recycled pid's. Only the Invoke that holds the environment reads it
	// (into statusBuf); the watcher closes it.
	status    *os.File
	statusBuf []byte

	// Written by the watcher before exited is closed; read after.
	exitErr error
	exitRSS int64

	// mu guards proc and current.
	mu      sync.Mutex
	proc    *os.Process // nil until the process started
	current *invocation // the invocation /response or /error may complete

	// Guarded by Runtime.mu.
	lastUsed time.Time // when it last became idle
	counted  bool      // holds one of its function's concurrency slots
}

// invocation is one event on its way through an environment.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	traceID  string
	done     chan outcome // cap 1: the function's answer
}

// outcome is what the function answered, as the API handlers saw it.
type outcome struct {
	end      time.Time
	failed   bool
	errType  string
	errMsg   string
	response []byte
}

// fnError is the error document a runtime posts (/error, /init/error).
type fnError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func newEnvironment(f *function) *environment {
	id := fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64())
	return &environment{
		id:        id,
		logStream: time.Now().UTC().Format("2006/01/02") + "/[" + f.cfg.Version + "]" + id,
		fn:        f,
		ready:     make(chan time.Time, 1),
		assign:    make(chan *invocation, 1),
		initErr:   make(chan fnError, 1),
		stopping:  make(chan struct{}),
		exited:    make(chan struct{}),
	}
}

// start opens the environment's Runtime API listener and starts its
// process. On success the caller must run serve and watch.
func (e *environment) start(output io.Writer, errorLog *log.Logger) (net.Listener, error) {
	c := &e.fn.cfg
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the runtime API: %w", err)
	}
	e.srv = &http.Server{
		Handler: e.routes(),
		// The function is local and trusted, but a stuck client must not
		// pin a connection forever; /next itself may wait indefinitely.
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          errorLog,
	}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Dir = c.Dir
	cmd.Env = e.environ(ln.Addr().String())
	if output != nil {
		cmd.Stdout, cmd.Stderr = output, output
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group: a terminal's Ctrl-C reaches the load
		// generator, which then stops environments in order.
		Setpgid: true,
		// Die with the runtime rather than leak when it is killed. (Tied to
		// the forking thread; the runtime never locks and exits threads.)
		Pdeathsig: syscall.SIGKILL,
	}
	// A child the function left behind holding stdout must not hold Wait.
	cmd.WaitDelay = time.Second
	e.cmd = cmd
	e.started = time.Now()
	if err := cmd.Start(); err != nil {
		ln.Close()
		return nil, fmt.Errorf("start %s: %w", c.Path, err)
	}
	e.status, _ = os.Open("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status") // nil: no RSS figures
	e.mu.Lock()
	e.proc = cmd.Process
	e.mu.Unlock()
	select {
	case <-e.stopping: // stopped while starting: stop could not signal yet
		_ = cmd.Process.Kill()
	default:
	}
	return ln, nil
}

func (e *environment) environ(api string) []string {
	c := &e.fn.cfg
	handler := c.Handler
	if handler == "" {
		handler = filepath.Base(c.Path)
	}
	root := c.Dir
	if root == "" {
		root = filepath.Dir(c.Path)
	}
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + api,
		"AWS_LAMBDA_FUNCTION_NAME=" + c.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=" + c.Version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(c.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + c.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=" + e.logStream,
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_REGION=" + c.Region,
		"AWS_DEFAULT_REGION=" + c.Region,
		"_HANDLER=" + handler,
		"LAMBDA_TASK_ROOT=" + root,
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
	}
	// exec keeps the last of duplicate keys: c.Env may override.
	return append(env, c.Env...)
}

// stop ends the environment: SIGTERM, then SIGKILL after grace (at once
// when grace is zero). wg tracks the goroutine that waits out the grace.
func (e *environment) stop(grace time.Duration, wg *sync.WaitGroup) {
	e.stopOnce.Do(func() { close(e.stopping) })
	e.mu.Lock()
	p := e.proc
	e.mu.Unlock()
	if p == nil {
		return // start sees stopping and kills
	}
	// os.Process signals through a pidfd: never a recycled pid.
	if grace <= 0 {
		_ = p.Kill()
		return
	}
	_ = p.Signal(syscall.SIGTERM)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-e.exited:
		case <-t.C:
			_ = p.Kill()
		}
	}()
}

// maxRSS is the process's peak resident set so far (VmHWM), or the
// rusage figure once it has exited.
func (e *environment) maxRSS() int64 {
	select {
	case <-e.exited:
		return e.exitRSS
	default:
	}
	if e.status == nil {
		return 0
	}
	if e.statusBuf == nil {
		e.statusBuf = make([]byte, 4096)
	}
	n, err := e.status.ReadAt(e.statusBuf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0 // exited meanwhile: the caller falls back to rusage
	}
	return parseVmHWM(e.statusBuf[:n])
}

var vmHWM = []byte("VmHWM:")

// parseVmHWM returns a /proc/PID/status's VmHWM in bytes, 0 when absent.
func parseVmHWM(b []byte) int64 {
	i := bytes.Index(b, vmHWM)
	if i < 0 {
		return 0
	}
	line := b[i+len(vmHWM):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	line = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(line), []byte("kB")))
	var kb int64
	for _, c := range line {
		if c < '0' || c > '9' {
			return 0
		}
		kb = kb*10 + int64(c-'0')
	}
	return kb << 10
}

func rusageMaxRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10 // kB on Linux
	}
	return 0
}
