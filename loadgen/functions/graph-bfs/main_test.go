package main

import (
	"context"
	"testing"
)

func TestBFS(t *testing.T) {
	// A path 0-1-2-3 plus an isolated vertex 4.
	g := graph{{1}, {0, 2}, {1, 3}, {2}, {}}
	if got := g.bfs(0); got != (Response{Reached: 4, Depth: 3}) {
		t.Errorf("bfs(0) = %+v", got)
	}
	// The generated graph is connected: every vertex links to an earlier one.
	gen := generate(2000, 2, 9)
	if got, err := gen.handle(context.Background(), Event{Source: 1999}); err != nil || got.Reached != 2000 {
		t.Errorf("generated graph: %+v, %v", got, err)
	}
	if _, err := gen.handle(context.Background(), Event{Source: 2000}); err == nil {
		t.Error("out-of-range source accepted")
	}
}
