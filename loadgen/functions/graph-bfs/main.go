// Command graph-bfs runs a breadth-first search over a generated graph
// (SeBS's graph-bfs). Its INIT phase builds the graph: a preferential
// attachment graph, so degrees are skewed like real networks'.
package main

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/faasight/faasight/loadgen/functions/fnkit"
)

// Event names the start vertex.
type Event struct {
	Source int `json:"source"`
}

// Response summarises the search.
type Response struct {
	Reached int `json:"reached"`
	Depth   int `json:"depth"`
}

// graph is an adjacency list.
type graph [][]int32

// generate builds n vertices, each new one linked to m earlier ones chosen
// with probability proportional to their degree.
func generate(n, m int, seed uint64) graph {
	rng := rand.New(rand.NewPCG(seed, seed))
	g := make(graph, n)
	var ends []int32 // every edge end once: sampling from it is degree-proportional
	for v := 1; v < n; v++ {
		for k := 0; k < min(m, v); k++ {
			u := int32(rng.IntN(v))
			if len(ends) > 0 && rng.IntN(2) == 0 {
				u = ends[rng.IntN(len(ends))]
			}
			g[v] = append(g[v], u)
			g[u] = append(g[u], int32(v))
			ends = append(ends, u, int32(v))
		}
	}
	return g
}

func (g graph) bfs(source int) Response {
	depth := make([]int32, len(g))
	for i := range depth {
		depth[i] = -1
	}
	depth[source] = 0
	queue := []int32{int32(source)}
	reached, maxDepth := 1, 0
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, u := range g[v] {
			if depth[u] < 0 {
				depth[u] = depth[v] + 1
				maxDepth = max(maxDepth, int(depth[u]))
				reached++
				queue = append(queue, u)
			}
		}
	}
	return Response{Reached: reached, Depth: maxDepth}
}

func (g graph) handle(_ context.Context, e Event) (Response, error) {
	if e.Source < 0 || e.Source >= len(g) {
		return Response{}, fmt.Errorf("source must be 0..%d, got %d", len(g)-1, e.Source)
	}
	return g.bfs(e.Source), nil
}

func main() {
	g := generate(100_000, 3, 1)
	fnkit.Start("graph-bfs", g.handle)
}
