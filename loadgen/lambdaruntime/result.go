package lambdaruntime

import "time"

// Status is how an invocation ended.
type Status string

const (
	StatusOK        Status = "ok"
	StatusError     Status = "error"     // the function reported an error, crashed, or failed its init
	StatusTimeout   Status = "timeout"   // the invocation (or the init of its environment) ran out of time
	StatusThrottled Status = "throttled" // the function was at its concurrency limit; nothing ran
)

// Failed says whether the invocation failed: what its span's ERROR status
// and faasight's error count reflect.
func (s Status) Failed() bool { return s == StatusError || s == StatusTimeout }

// Result is one invocation as it happened: what Invoke returns and what
// the ledger records (the JSON field names are the ledger's format).
type Result struct {
	RequestID    string    `json:"request_id"`
	Function     string    `json:"function"`
	Version      string    `json:"version"`
	Environment  string    `json:"environment,omitempty"` // empty when throttled
	MemoryMB     int       `json:"memory_mb"`
	Architecture string    `json:"architecture"`
	Provider     string    `json:"provider,omitempty"`
	Region       string    `json:"region,omitempty"`
	Start        time.Time `json:"start"` // the event handed to the runtime (throttled: refused)
	// Duration runs from handing the event to the function's runtime until
	// its response or error arrived (timeout: until the deadline).
	Duration  time.Duration `json:"duration_ns"`
	ColdStart bool          `json:"cold_start"`
	// InitDuration runs from starting the process until its first
	// /next (cold starts only).
	InitDuration time.Duration `json:"init_duration_ns,omitempty"`
	// MaxRSSBytes is the environment's peak resident set so far, read
	// after the invocation (what Lambda reports as Max Memory Used).
	MaxRSSBytes  int64  `json:"max_rss_bytes"`
	Status       Status `json:"status"`
	ErrorType    string `json:"error_type,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`

	// Response is the function's response payload (StatusOK only).
	Response []byte `json:"-"`
}
