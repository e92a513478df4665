// Command sleep is the calibration function: it waits as long as the event
// asks, so the load generator can check durations and billing to the
// millisecond. Its INIT phase waits FAASIGHT_INIT_MS (default 50 ms).
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/faasight/faasight/loadgen/functions/fnkit"
)

// Event asks for a wait of Ms milliseconds, and optionally an error.
type Event struct {
	Ms   float64 `json:"ms"`
	Fail bool    `json:"fail"`
}

// Response echoes what was done.
type Response struct {
	SleptMs float64 `json:"slept_ms"`
}

func handle(ctx context.Context, e Event) (Response, error) {
	if e.Ms < 0 {
		return Response{}, fmt.Errorf("ms must not be negative, got %v", e.Ms)
	}
	select {
	case <-time.After(time.Duration(e.Ms * float64(time.Millisecond))):
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
	if e.Fail {
		return Response{}, fmt.Errorf("failed on request")
	}
	return Response{SleptMs: e.Ms}, nil
}

func initDelay() time.Duration {
	ms, err := strconv.Atoi(os.Getenv("FAASIGHT_INIT_MS"))
	if err != nil || ms < 0 {
		ms = 50
	}
	return time.Duration(ms) * time.Millisecond
}

func main() {
	time.Sleep(initDelay()) // the INIT phase being calibrated
	fnkit.Start("sleep", handle)
}
