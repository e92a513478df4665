package main

import (
	"context"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	r := newRenderer()
	out, err := r.handle(context.Background(), Event{User: "<ana>", Items: 10, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.HTML, "<li>") != 10 || !strings.Contains(out.HTML, "Hello &lt;ana&gt;") || out.Bytes != len(out.HTML) {
		t.Errorf("page: %s", out.HTML)
	}
	if _, err := r.handle(context.Background(), Event{Items: -1}); err == nil {
		t.Error("negative length accepted")
	}
}
