// Command dynamic-html renders an HTML page from a template (SeBS's
// dynamic-html): its INIT phase parses the template and builds a word list.
package main

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"math/rand/v2"
	"time"

	"github.com/faasight/faasight/loadgen/functions/fnkit"
)

const page = `<!doctype html>
<html><head><title>Hello {{.User}}</title></head>
<body><h1>Hello {{.User}}</h1><p>Rendered at {{.Time}}</p>
<ul>{{range .Items}}<li>{{.}}</li>{{end}}</ul></body></html>`

// Event names the user and how many list items to render.
type Event struct {
	User  string `json:"username"`
	Items int    `json:"random_len"`
	Seed  uint64 `json:"seed"`
}

// Response carries the page.
type Response struct {
	HTML  string `json:"html"`
	Bytes int    `json:"bytes"`
}

type renderer struct {
	tmpl  *template.Template
	words []string
}

func newRenderer() *renderer {
	rng := rand.New(rand.NewPCG(1, 2))
	words := make([]string, 50_000)
	for i := range words {
		b := make([]byte, 3+rng.IntN(8))
		for j := range b {
			b[j] = byte('a' + rng.IntN(26))
		}
		words[i] = string(b)
	}
	return &renderer{tmpl: template.Must(template.New("page").Parse(page)), words: words}
}

func (r *renderer) handle(_ context.Context, e Event) (Response, error) {
	if e.Items < 0 || e.Items > 100_000 {
		return Response{}, fmt.Errorf("random_len must be 0..100000, got %d", e.Items)
	}
	rng := rand.New(rand.NewPCG(e.Seed, 7))
	items := make([]string, e.Items)
	for i := range items {
		items[i] = r.words[rng.IntN(len(r.words))]
	}
	var b bytes.Buffer
	data := struct {
		User  string
		Time  string
		Items []string
	}{e.User, time.Now().UTC().Format(time.RFC3339), items}
	if err := r.tmpl.Execute(&b, data); err != nil {
		return Response{}, err
	}
	return Response{HTML: b.String(), Bytes: b.Len()}, nil
}

func main() {
	r := newRenderer()
	fnkit.Start("dynamic-html", r.handle)
}
