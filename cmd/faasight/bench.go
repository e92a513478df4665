package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/faasight/faasight/deploy/localch"
	"github.com/faasight/faasight/ingest"
)

type benchOptions struct {
	spans      int
	perReq     int
	senders    int
	keepDir    bool
	clientBin  string
	cpuProfile string
}

func newBenchCommand() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure end-to-end ingest throughput against clickhouse-client",
		Long: `bench starts a private ClickHouse and an in-process faasight, sends --spans
invocation spans over OTLP/gRPC (pre-encoded, from --senders concurrent
clients) and times how long until all of them are queryable in ClickHouse.
It then exports the very rows faasight wrote in Native format and times
clickhouse-client inserting them into copies of the same tables: the rate
ClickHouse itself sustains on this machine. It prints both and their ratio.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.spans, "spans", 500_000, "invocation spans to send")
	f.IntVar(&o.perReq, "per-request", 5_000, "spans per OTLP export request")
	f.IntVar(&o.senders, "senders", 4, "concurrent OTLP clients")
	f.BoolVar(&o.keepDir, "keep", false, "keep the temporary data directory")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the send-and-ingest phase to this file")
	f.StringVar(&o.clientBin, "clickhouse-client", "", "clickhouse-client binary (default: clickhouse-client or `clickhouse client` on PATH)")
	return cmd
}

func runBench(ctx context.Context, out io.Writer, o benchOptions) error {
	if o.spans <= 0 || o.perReq <= 0 || o.senders <= 0 {
		return errors.New("--spans, --per-request and --senders must be positive")
	}
	client, err := clickhouseClient(o.clientBin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "faasight-bench-")
	if err != nil {
		return err
	}
	if !o.keepDir {
		defer os.RemoveAll(dir)
	}
	fmt.Fprintf(out, "starting a private ClickHouse and faasight in %s ...\n", dir)
	ch, err := localch.Start(ctx, localch.Options{Dir: dir})
	if err != nil {
		return err
	}
	defer ch.Stop() //nolint:errcheck
	const db = "bench"
	apiAddr, grpcAddr, httpAddr, err := threeFreeAddrs()
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- serve(sctx, serveOptions{dataDir: dir, dsn: ch.DSN(db), grpcAddr: grpcAddr, httpAddr: httpAddr,
			apiAddr: apiAddr, tenant: ingest.DefaultTenant, queueSize: 4_000_000, logLevel: "warn"})
	}()
	defer func() { stop(); <-served }()
	if err := waitReady(ctx, "http://"+apiAddr+"/readyz", served); err != nil {
		return err
	}
	conn, _, err := ingest.Open(ch.DSN(db))
	if err != nil {
		return err
	}
	defer conn.Close()

	fmt.Fprintf(out, "encoding %d spans in requests of %d ...\n", o.spans, o.perReq)
	reqs := benchRequests(o.spans, o.perReq)

	fmt.Fprintf(out, "sending over OTLP/gRPC with %d clients ...\n", o.senders)
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	if err := sendAll(ctx, grpcAddr, reqs, o.senders); err != nil {
		return err
	}
	sent := time.Since(start)
	for {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+db+".invocations").Scan(&n); err != nil {
			return err
		}
		if n >= uint64(o.spans) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	e2e := time.Since(start)
	pprof.StopCPUProfile()

	fmt.Fprintf(out, "timing clickhouse-client on the same rows (Native format) ...\n")
	base, err := clientInsertTime(ctx, client, ch.TCPPort(), dir, db)
	if err != nil {
		return err
	}

	rate := float64(o.spans) / e2e.Seconds()
	baseRate := float64(o.spans) / base.Seconds()
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "\nspans\t%d (each an invocation: one row in invocations and one in spans)\n", o.spans)
	fmt.Fprintf(w, "faasight, OTLP client to queryable rows\t%v\t%.0f spans/s\t(all sent after %v)\n", e2e.Round(time.Millisecond), rate, sent.Round(time.Millisecond))
	fmt.Fprintf(w, "clickhouse-client, Native insert of the same rows\t%v\t%.0f rows/s\n", base.Round(time.Millisecond), baseRate)
	fmt.Fprintf(w, "ratio faasight / clickhouse-client\t%.3f\n", rate/baseRate)
	return w.Flush()
}

func clickhouseClient(override string) ([]string, error) {
	if override != "" {
		return []string{override}, nil
	}
	for _, c := range [][]string{{"clickhouse-client"}, {"clickhouse", "client"}} {
		if p, err := exec.LookPath(c[0]); err == nil {
			return append([]string{p}, c[1:]...), nil
		}
	}
	return nil, errors.New("no clickhouse-client on PATH; install it with: sudo apt-get install -y clickhouse-client")
}

func threeFreeAddrs() (string, string, string, error) {
	var addrs [3]string
	for i := range addrs {
		a, err := localFreeAddr()
		if err != nil {
			return "", "", "", err
		}
		addrs[i] = a
	}
	return addrs[0], addrs[1], addrs[2], nil
}

func waitReady(ctx context.Context, url string, served chan error) error {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-served:
			return fmt.Errorf("faasight exited: %v", err)
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("faasight did not become ready within 90s")
}

// benchRequests pre-encodes the load, so that the measurement is of
// faasight, not of building spans.
func benchRequests(total, per int) []ptraceotlp.ExportRequest {
	var reqs []ptraceotlp.ExportRequest
	base := time.Now().Add(-time.Hour)
	fns := []string{"checkout-api", "image-resize", "orders-worker", "search", "thumbnails"}
	for sent := 0; sent < total; sent += per {
		n := min(per, total-sent)
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		attrs := rs.Resource().Attributes()
		fn := fns[(sent/per)%len(fns)]
		attrs.PutStr("service.name", fn)
		attrs.PutStr("faas.name", fn)
		attrs.PutStr("faas.version", "12")
		attrs.PutInt("faas.max_memory", 512<<20)
		attrs.PutStr("cloud.provider", "aws")
		attrs.PutStr("cloud.platform", "aws_lambda")
		attrs.PutStr("cloud.region", "us-east-1")
		attrs.PutStr("host.arch", "amd64")
		spans := rs.ScopeSpans().AppendEmpty().Spans()
		spans.EnsureCapacity(n)
		for i := 0; i < n; i++ {
			k := uint64(sent + i)
			s := spans.AppendEmpty()
			s.SetName(fn)
			s.SetKind(ptrace.SpanKindServer)
			var tid pcommon.TraceID
			var sid pcommon.SpanID
			binary.BigEndian.PutUint64(tid[:8], k+1)
			binary.BigEndian.PutUint64(tid[8:], 0xfaa5)
			binary.BigEndian.PutUint64(sid[:], k+1)
			s.SetTraceID(tid)
			s.SetSpanID(sid)
			st := base.Add(time.Duration(k) * time.Millisecond)
			s.SetStartTimestamp(pcommon.NewTimestampFromTime(st))
			s.SetEndTimestamp(pcommon.NewTimestampFromTime(st.Add(time.Duration(5+k%200) * time.Millisecond)))
			a := s.Attributes()
			a.PutStr("faas.trigger", "http")
			a.PutStr("faas.invocation_id", strconv.FormatUint(k, 16))
			a.PutBool("faas.coldstart", k%50 == 0)
		}
		reqs = append(reqs, ptraceotlp.NewExportRequestFromTraces(td))
	}
	return reqs
}

func sendAll(ctx context.Context, addr string, reqs []ptraceotlp.ExportRequest, senders int) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	client := ptraceotlp.NewGRPCClient(conn)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, senders)
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) {
					return
				}
				for {
					_, err := client.Export(ctx, reqs[i])
					if err == nil {
						break
					}
					// Back-pressure is part of the run: wait and resend.
					if c := status.Code(err); c != codes.ResourceExhausted && c != codes.Unavailable {
						errs[s] = err
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// clientInsertTime exports both tables faasight wrote and times
// clickhouse-client inserting them into empty copies.
func clientInsertTime(ctx context.Context, client []string, port int, dir, db string) (time.Duration, error) {
	run := func(stdin io.Reader, stdout io.Writer, query string) error {
		args := append(append([]string{}, client[1:]...), "--port", strconv.Itoa(port), "--query", query)
		cmd := exec.CommandContext(ctx, client[0], args...)
		cmd.Stdin, cmd.Stdout = stdin, stdout
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("clickhouse-client %q: %v: %s", query, err, stderr.String())
		}
		return nil
	}
	var total time.Duration
	for _, table := range []string{"invocations", "spans"} {
		file := filepath.Join(dir, table+".native")
		f, err := os.Create(file)
		if err != nil {
			return 0, err
		}
		err = run(nil, f, "SELECT * FROM "+db+"."+table+" FORMAT Native")
		f.Close()
		if err != nil {
			return 0, err
		}
		if err := run(nil, nil, "CREATE TABLE "+db+"."+table+"_copy AS "+db+"."+table); err != nil {
			return 0, err
		}
		in, err := os.Open(file)
		if err != nil {
			return 0, err
		}
		start := time.Now()
		err = run(in, nil, "INSERT INTO "+db+"."+table+"_copy FORMAT Native")
		total += time.Since(start)
		in.Close()
		if err != nil {
			return 0, err
		}
	}
	return total, nil
}
