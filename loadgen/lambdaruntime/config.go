package lambdaruntime

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	goruntime "runtime"
	"time"
)

// Defaults, with the reason for each number. Zero fields of Function and
// Options take these.
const (
	// DefaultMemoryMB is Lambda's default memory size.
	DefaultMemoryMB = 128
	// DefaultTimeout is Lambda's default function timeout.
	DefaultTimeout = 3 * time.Second
	// DefaultKeepAlive is how long Lambda typically keeps an idle
	// environment (observed 5–15 minutes; the low end keeps a local run small).
	DefaultKeepAlive = 5 * time.Minute
	// DefaultConcurrency bounds the environments (processes) of one
	// function. The runtime has no queue, so this is also how many
	// invocations of a function can be in flight; beyond it they throttle.
	// Ten processes per function is what a laptop runs comfortably.
	DefaultConcurrency = 10
	// DefaultRegion is what AWS_REGION says when a function sets none.
	DefaultRegion = "us-east-1"
	// DefaultAccount fills the function ARN; twelve zeros is the
	// conventional "local" account.
	DefaultAccount = "000000000000"
	// DefaultInitTimeout is Lambda's limit on the INIT phase.
	DefaultInitTimeout = 10 * time.Second
	// DefaultStopGrace is the time between SIGTERM and SIGKILL when an
	// environment is reaped or the runtime closes: Lambda's shutdown phase
	// without external extensions.
	DefaultStopGrace = 500 * time.Millisecond
	// DefaultReapInterval is how often idle environments are checked for
	// an expired keep-alive: fine enough for keep-alives of minutes. An
	// expired environment is never reused even between two sweeps.
	DefaultReapInterval = time.Second

	// MaxPayloadBytes and MaxResponseBytes are Lambda's synchronous
	// invocation limits (6 MB each way).
	MaxPayloadBytes  = 6 << 20
	MaxResponseBytes = 6 << 20
	// maxErrorBytes bounds an error body read from a function, and
	// maxErrorMessage the message kept in a Result (and the ledger).
	maxErrorBytes   = 1 << 20
	maxErrorMessage = 4 << 10
)

// Function is one deployed function: the executable that implements the
// Lambda Runtime API client (any aws-lambda-go binary) and its settings.
type Function struct {
	Name    string   // required; unique within a Runtime
	Version string   // AWS_LAMBDA_FUNCTION_VERSION; "$LATEST" when empty
	Path    string   // executable; required
	Args    []string // arguments after the executable
	Dir     string   // working directory; the executable's directory when empty
	Handler string   // _HANDLER; the executable's base name when empty
	// Env is added to the Lambda variables ("KEY=value"); it may override them.
	Env []string

	MemoryMB     int    // recorded, exported as AWS_LAMBDA_FUNCTION_MEMORY_SIZE; see package doc
	Architecture string // "x86_64" or "arm64"; the host's when empty
	Provider     string // the cloud this function mimics (recorded in the ledger, for pricing)
	Region       string
	Account      string

	Timeout     time.Duration // per invocation; the environment is killed when it expires
	KeepAlive   time.Duration // idle time after which an environment is reaped
	Concurrency int           // maximum environments; invocations beyond it are throttled
}

// Options configures a Runtime.
type Options struct {
	Logger *slog.Logger // nil: discard
	// Ledger receives every invocation's Result (nil: none kept).
	Ledger Recorder
	// FunctionOutput receives the functions' stdout and stderr, as
	// CloudWatch Logs would (nil: discarded).
	FunctionOutput io.Writer
	InitTimeout    time.Duration
	StopGrace      time.Duration
	ReapInterval   time.Duration
	// TraceHeader, if set, gives the X-Ray trace header handed to the
	// function for an invocation (Lambda-Runtime-Trace-Id), so that a
	// platform span recorded later can be its spans' parent. Default: a
	// fresh unsampled trace id, as Lambda without tracing.
	TraceHeader func(requestID string) string
}

// Recorder keeps the ground truth: one call per invocation, in the order
// invocations finish. Ledger is the implementation.
type Recorder interface {
	Record(Result) error
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.InitTimeout <= 0 {
		o.InitTimeout = DefaultInitTimeout
	}
	if o.StopGrace <= 0 {
		o.StopGrace = DefaultStopGrace
	}
	if o.ReapInterval <= 0 {
		o.ReapInterval = DefaultReapInterval
	}
}

func (f *Function) setDefaults() {
	if f.Version == "" {
		f.Version = "$LATEST"
	}
	if f.MemoryMB == 0 {
		f.MemoryMB = DefaultMemoryMB
	}
	if f.Architecture == "" {
		f.Architecture = hostArchitecture()
	}
	if f.Region == "" {
		f.Region = DefaultRegion
	}
	if f.Account == "" {
		f.Account = DefaultAccount
	}
	if f.Timeout == 0 {
		f.Timeout = DefaultTimeout
	}
	if f.KeepAlive == 0 {
		f.KeepAlive = DefaultKeepAlive
	}
	if f.Concurrency == 0 {
		f.Concurrency = DefaultConcurrency
	}
}

// validate reports every problem of f by its field.
func (f *Function) validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("function %q: %s: %s", f.Name, field, fmt.Sprintf(format, args...)))
	}
	if f.Name == "" {
		bad("name", "is empty; give every function a name")
	}
	if f.Path == "" {
		bad("path", "is empty; name the function's executable")
	} else if st, err := os.Stat(f.Path); err != nil {
		bad("path", "%v", err)
	} else if st.IsDir() || st.Mode()&0o111 == 0 {
		bad("path", "%s is not an executable file", f.Path)
	}
	// Lambda's memory range.
	if f.MemoryMB < 128 || f.MemoryMB > 10240 {
		bad("memory_mb", "%d is outside 128..10240", f.MemoryMB)
	}
	if f.Architecture != "x86_64" && f.Architecture != "arm64" {
		bad("architecture", "%q: use x86_64 or arm64", f.Architecture)
	}
	if f.Timeout < 0 {
		bad("timeout", "%v is negative", f.Timeout)
	}
	if f.KeepAlive < 0 {
		bad("keep_alive", "%v is negative", f.KeepAlive)
	}
	if f.Concurrency < 0 {
		bad("concurrency", "%d is negative", f.Concurrency)
	}
	return errors.Join(errs...)
}

// hostArchitecture names the host's architecture the way Lambda names its
// two (the value `faas`/`host.arch` readers expect to map).
func hostArchitecture() string {
	if goruntime.GOARCH == "arm64" {
		return "arm64"
	}
	return "x86_64"
}
