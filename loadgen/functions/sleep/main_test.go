package main

import (
	"context"
	"testing"
	"time"
)

func TestHandle(t *testing.T) {
	start := time.Now()
	out, err := handle(context.Background(), Event{Ms: 20})
	if err != nil || out.SleptMs != 20 || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("handle(20ms) = %+v, %v after %v", out, err, time.Since(start))
	}
	if _, err := handle(context.Background(), Event{Fail: true}); err == nil {
		t.Error("fail: no error")
	}
	if _, err := handle(context.Background(), Event{Ms: -1}); err == nil {
		t.Error("negative: no error")
	}
	t.Setenv("FAASIGHT_INIT_MS", "7")
	if d := initDelay(); d != 7*time.Millisecond {
		t.Errorf("initDelay = %v", d)
	}
}
