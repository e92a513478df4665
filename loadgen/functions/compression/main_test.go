package main

import (
	"context"
	"testing"
)

func TestCompress(t *testing.T) {
	c := &compressor{files: generate(8)}
	out, err := c.handle(context.Background(), Event{Files: 8})
	if err != nil {
		t.Fatal(err)
	}
	if out.InputBytes < 8*4096 || out.OutputBytes <= 0 || out.OutputBytes >= out.InputBytes {
		t.Errorf("sizes %+v: want compression", out)
	}
	if _, err := c.handle(context.Background(), Event{Files: 9}); err == nil {
		t.Error("more files than exist accepted")
	}
	if _, err := c.handle(context.Background(), Event{Files: 1, Level: 42}); err == nil {
		t.Error("bad level accepted")
	}
}
