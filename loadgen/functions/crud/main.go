// Command crud reads and writes a key-value store and talks to managed
// services the way a typical AWS function does — DynamoDB for items, S3
// for blobs, SQS for events — so that lock-in analysis has real outbound
// calls to see. The store is local (a file per execution environment); the
// CLIENT spans carry the attributes the AWS SDK's instrumentation sets
// (rpc.system=aws-api, rpc.service, rpc.method, db.system,
// messaging.system, server.address). Its INIT phase loads the store.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/faasight/faasight/loadgen/functions/fnkit"
)

// Event is one operation: put, get or list.
type Event struct {
	Op    string `json:"op"`
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Response carries what was read.
type Response struct {
	Value string   `json:"value,omitempty"`
	Keys  []string `json:"keys,omitempty"`
	Found bool     `json:"found"`
}

// store is the key-value store, persisted to one JSON file.
type store struct {
	path   string
	tracer trace.Tracer
	region string

	// mu guards items: the runtime serves one invocation at a time per
	// environment, but a store must not rely on its caller for that.
	mu    sync.Mutex
	items map[string]string
}

func openStore(path string, tracer trace.Tracer, region string) (*store, error) {
	s := &store{path: path, tracer: tracer, region: region, items: map[string]string{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := json.Unmarshal(data, &s.items); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// call records one outbound call as a CLIENT span.
func (s *store) call(ctx context.Context, service, method string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	host := map[string]string{"DynamoDB": "dynamodb", "S3": "s3", "SQS": "sqs"}[service] + "." + s.region + ".amazonaws.com"
	base := []attribute.KeyValue{
		attribute.String("rpc.system", "aws-api"),
		attribute.String("rpc.service", service),
		attribute.String("rpc.method", method),
		attribute.String("server.address", host),
	}
	return s.tracer.Start(ctx, service+"."+method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(append(base, attrs...)...))
}

func (s *store) handle(ctx context.Context, e Event) (Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e.Op {
	case "put":
		if e.Key == "" {
			return Response{}, errors.New("put needs a key")
		}
		_, span := s.call(ctx, "DynamoDB", "PutItem", attribute.String("db.system", "dynamodb"))
		s.items[e.Key] = e.Value
		err := s.save()
		end(span, err)
		if err != nil {
			return Response{}, err
		}
		_, span = s.call(ctx, "SQS", "SendMessage", attribute.String("messaging.system", "aws_sqs"))
		end(span, nil)
		return Response{Found: true}, nil
	case "get":
		_, span := s.call(ctx, "DynamoDB", "GetItem", attribute.String("db.system", "dynamodb"))
		v, ok := s.items[e.Key]
		end(span, nil)
		return Response{Value: v, Found: ok}, nil
	case "list":
		_, span := s.call(ctx, "S3", "ListObjectsV2")
		keys := make([]string, 0, len(s.items))
		for k := range s.items {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		end(span, nil)
		return Response{Keys: keys, Found: len(keys) > 0}, nil
	}
	return Response{}, fmt.Errorf("op must be put, get or list, got %q", e.Op)
}

func end(span trace.Span, err error) {
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// save writes the store atomically (temp file and rename).
func (s *store) save() error {
	data, err := json.Marshal(s.items)
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("save store: %w", err)
	}
	return os.Rename(tmp, s.path)
}

func main() {
	tel, err := fnkit.Setup(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir := os.Getenv("FAASIGHT_STORE_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	name := os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	s, err := openStore(filepath.Join(dir, "crud-"+name+".json"), tel.Tracer, os.Getenv("AWS_REGION"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(fnkit.Wrap(tel, "crud", s.handle))
}
