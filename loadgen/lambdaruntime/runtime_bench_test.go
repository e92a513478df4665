package lambdaruntime

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	goruntime "runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkWarmInvoke is the runtime's own overhead per warm invocation
// of a handler that does nothing: one /next answer and one /response.
func BenchmarkWarmInvoke(b *testing.B) {
	payload := []byte(`{}`)
	b.Run("serial", func(b *testing.B) {
		r := newRuntime(b, Options{}, echo("echo", func(f *Function) { f.Env = nil }))
		invoke(b, r, "echo", event{}) // the cold start is not what this measures
		b.ReportAllocs()
		var inside time.Duration
		for b.Loop() {
			res, err := r.Invoke(context.Background(), "echo", payload)
			if err != nil || res.Status != StatusOK || res.ColdStart {
				b.Fatalf("%+v %v", res, err)
			}
			inside += res.Duration
		}
		// The function's part: event handed over until its answer.
		b.ReportMetric(float64(inside.Nanoseconds())/float64(b.N), "duration-ns/op")
	})
	b.Run("parallel", func(b *testing.B) {
		// One environment per RunParallel worker: never throttled.
		workers := goruntime.GOMAXPROCS(0)
		r := newRuntime(b, Options{}, echo("echo", func(f *Function) {
			f.Env, f.Concurrency = nil, workers
		}))
		b.ReportAllocs()
		var cold atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				res, err := r.Invoke(context.Background(), "echo", payload)
				if err != nil || res.Status != StatusOK {
					b.Errorf("%+v %v", res, err)
					return
				}
				if res.ColdStart {
					cold.Add(1)
				}
			}
		})
		b.ReportMetric(float64(cold.Load()), "coldstarts")
	})
}

// BenchmarkColdStart compares a cold start through the runtime with a bare
// fork/exec of the same binary up to its first /next: the difference is
// the runtime's own share of a cold start. echofn does no init work here.
func BenchmarkColdStart(b *testing.B) {
	b.Run("runtime", func(b *testing.B) {
		r := newRuntime(b, Options{ReapInterval: time.Hour}, echo("echo", func(f *Function) {
			f.Env, f.Concurrency = nil, 1
		}))
		var initTotal time.Duration
		for b.Loop() {
			res, err := r.Invoke(context.Background(), "echo", []byte(`{}`))
			if err != nil || res.Status != StatusOK || !res.ColdStart {
				b.Fatalf("%+v %v", res, err)
			}
			initTotal += res.InitDuration
			// Reap it and wait for the process to go, off the clock, as
			// bare-exec does: teardown must not compete with the next start.
			b.StopTimer()
			r.reapIdle(time.Now().Add(time.Hour))
			for {
				r.mu.Lock()
				n := len(r.envs)
				r.mu.Unlock()
				if n == 0 {
					break
				}
				time.Sleep(100 * time.Microsecond)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(initTotal.Nanoseconds())/float64(b.N), "first-next-ns/op")
	})
	b.Run("bare-exec", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		arrived := make(chan struct{}, 1)
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case arrived <- struct{}{}:
			default:
			}
			<-r.Context().Done() // hold /next until the process is killed
		})}
		go srv.Serve(ln)
		b.Cleanup(func() { srv.Close() })
		var total time.Duration
		for b.Loop() {
			cmd := exec.Command(echofnPath)
			cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String()}
			start := time.Now()
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			<-arrived
			total += time.Since(start)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "first-next-ns/op")
	})
}
