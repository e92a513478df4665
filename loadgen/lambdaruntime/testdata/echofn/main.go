// Command echofn is the runtime package's test function: a real Lambda
// function (aws-lambda-go, lambda.Start) whose behaviour the payload
// chooses, so tests can drive every outcome the runtime must measure.
package main

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Event selects what one invocation does.
type Event struct {
	SleepMS int    `json:"sleep_ms,omitempty"`
	Error   string `json:"error,omitempty"` // return this error
	Panic   string `json:"panic,omitempty"` // panic with this message (the process then exits)
	Exit    int    `json:"exit,omitempty"`  // os.Exit(Exit) without answering
	AllocMB int    `json:"alloc_mb,omitempty"`
}

// Response tells the test what the function saw.
type Response struct {
	RequestID   string `json:"request_id"`
	Function    string `json:"function"`
	Version     string `json:"version"`
	MemoryMB    int    `json:"memory_mb"`
	LogStream   string `json:"log_stream"`
	Handler     string `json:"handler"`
	Region      string `json:"region"`
	PID         int    `json:"pid"`
	Invocations int64  `json:"invocations"`
	HasDeadline bool   `json:"has_deadline"`
}

var (
	invocations atomic.Int64
	ballast     [][]byte
)

func handle(ctx context.Context, ev Event) (Response, error) {
	n := invocations.Add(1)
	if ev.AllocMB > 0 {
		b := make([]byte, ev.AllocMB<<20)
		for i := range b {
			b[i] = byte(i)
		}
		ballast = append(ballast, b)
	}
	if ev.SleepMS > 0 {
		time.Sleep(time.Duration(ev.SleepMS) * time.Millisecond)
	}
	if ev.Exit != 0 {
		os.Exit(ev.Exit)
	}
	if ev.Panic != "" {
		panic(ev.Panic)
	}
	if ev.Error != "" {
		return Response{}, errors.New(ev.Error)
	}
	lc, _ := lambdacontext.FromContext(ctx)
	_, hasDeadline := ctx.Deadline()
	return Response{
		RequestID:   lc.AwsRequestID,
		Function:    lambdacontext.FunctionName,
		Version:     lambdacontext.FunctionVersion,
		MemoryMB:    lambdacontext.MemoryLimitInMB,
		LogStream:   lambdacontext.LogStreamName,
		Handler:     os.Getenv("_HANDLER"),
		Region:      os.Getenv("AWS_REGION"),
		PID:         os.Getpid(),
		Invocations: n,
		HasDeadline: hasDeadline,
	}, nil
}

func main() {
	// The init phase: ECHOFN_INIT_MS of work before the first /next, so a
	// cold start has a known minimum INIT duration. ECHOFN_INIT_FAIL exits
	// during init, as a function with a broken configuration does.
	if ms, err := strconv.Atoi(os.Getenv("ECHOFN_INIT_MS")); err == nil && ms > 0 {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	if os.Getenv("ECHOFN_INIT_FAIL") != "" {
		os.Exit(3)
	}
	lambda.Start(handle)
}
