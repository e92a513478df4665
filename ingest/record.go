// Package ingest owns faasight's storage side: the canonical records that
// front doors produce, the ClickHouse schema (versioned migrations) and the
// batched native inserts that write records to it.
//
// Everything above this package (collector front doors) hands it records;
// everything reading ClickHouse (analysis) relies on the tables it defines.
package ingest

// DefaultTenant is the tenant of telemetry that names none.
const DefaultTenant = "default"

// Invocation is one function invocation: the canonical record every front
// door (OTLP today; Lambda REPORT logs, remote write later) turns its input
// into. Zero values mean "not reported" for the optional measurements.
type Invocation struct {
	Tenant string

	StartNs    uint64 // unix nanoseconds
	DurationNs uint64
	ColdStart  bool
	Error      bool

	Function     string
	Version      string
	Instance     string
	Provider     string // cloud.provider: aws, gcp, azure, ...
	Platform     string // cloud.platform: aws_lambda, gcp_cloud_functions, ...
	Region       string
	Account      string
	Runtime      string // e.g. go1.x, python3.12, nodejs20.x
	Architecture string // x86_64 or arm64 ("" when unknown)
	MemoryMB     uint32 // configured memory
	Trigger      string // faas.trigger: http, pubsub, datasource, timer, other

	TraceID      string // lowercase hex
	SpanID       string // lowercase hex
	InvocationID string

	InitDurationNs   uint64 // INIT phase of a cold start
	BilledDurationMs uint64 // as billed by the provider, when the telemetry says
	MaxMemoryUsedMB  uint32
}

// Span is any span faasight received, invocation or not; later analyses
// (dependencies, lock-in) read outbound calls from here.
type Span struct {
	Tenant string

	StartNs    uint64
	DurationNs uint64

	TraceID       string
	SpanID        string
	ParentSpanID  string
	Name          string
	Kind          string // SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL, UNSPECIFIED
	StatusCode    string // UNSET, OK, ERROR
	StatusMessage string

	Service  string // service.name
	Function string // faas.name, else service.name

	ResourceAttrs Attributes
	Attrs         Attributes
}

// Attributes are key/value pairs stored as two parallel arrays, the shape
// that works on every ClickHouse release (Map needs 21.x). Non-string values
// are rendered as their OTLP string form.
type Attributes struct {
	Keys   []string
	Values []string
}
