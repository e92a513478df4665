// Command compression packs a set of files into a gzip-compressed tar
// archive (SeBS's compression). Its INIT phase generates the file set.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/faasight/faasight/loadgen/functions/fnkit"
)

// Event chooses how many of the generated files to pack, and the level.
type Event struct {
	Files int `json:"files"`
	Level int `json:"level"`
}

// Response gives the sizes before and after.
type Response struct {
	InputBytes  int `json:"input_bytes"`
	OutputBytes int `json:"output_bytes"`
}

type file struct {
	name string
	data []byte
}

// generate makes n text-like files of 4-64 KiB: compressible, but not
// trivially.
func generate(n int) []file {
	rng := rand.New(rand.NewPCG(42, 42))
	words := []string{"lambda", "cold", "start", "invocation", "latency", "cost", "trace", "span", "region", "memory"}
	files := make([]file, n)
	for i := range files {
		var b bytes.Buffer
		for b.Len() < 4096+rng.IntN(60*1024) {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(" \n"[rng.IntN(2)])
			if rng.IntN(10) == 0 {
				fmt.Fprintf(&b, "%d ", rng.Int64())
			}
		}
		files[i] = file{name: fmt.Sprintf("file-%03d.txt", i), data: b.Bytes()}
	}
	return files
}

type compressor struct{ files []file }

func (c *compressor) handle(_ context.Context, e Event) (Response, error) {
	if e.Files < 1 || e.Files > len(c.files) {
		return Response{}, fmt.Errorf("files must be 1..%d, got %d", len(c.files), e.Files)
	}
	if e.Level == 0 {
		e.Level = gzip.DefaultCompression
	}
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, e.Level)
	if err != nil {
		return Response{}, fmt.Errorf("level: %w", err)
	}
	tw := tar.NewWriter(zw)
	in := 0
	for _, f := range c.files[:e.Files] {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data))}); err != nil {
			return Response{}, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return Response{}, err
		}
		in += len(f.data)
	}
	if err := tw.Close(); err != nil {
		return Response{}, err
	}
	if err := zw.Close(); err != nil {
		return Response{}, err
	}
	return Response{InputBytes: in, OutputBytes: out.Len()}, nil
}

func main() {
	c := &compressor{files: generate(64)}
	fnkit.Start("compression", c.handle)
}
