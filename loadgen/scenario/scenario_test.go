package scenario

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestShippedScenariosParse(t *testing.T) {
	files, _ := filepath.Glob("../scenarios/*.yaml")
	if len(files) < 2 {
		t.Fatalf("found %d shipped scenarios", len(files))
	}
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		sched, err := s.Schedule(filepath.Dir(f))
		if err != nil || len(sched) == 0 {
			t.Errorf("%s: schedule: %d invocations, %v", f, len(sched), err)
		}
	}
}

// TestBadScenarios: each testdata/*.bad.yaml says in its first line what
// the error must contain — the field and the line.
func TestBadScenarios(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) == 0 {
		t.Fatal("no bad scenarios")
	}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		first, _, _ := strings.Cut(string(data), "\n")
		want := strings.TrimSpace(strings.TrimPrefix(first, "#"))
		_, err := Parse(data)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to contain %q", f, err, want)
		}
	}
	// Every problem of a file is reported, not only the first.
	data, _ := os.ReadFile("testdata/bad-fields.bad.yaml")
	_, err := Parse(data)
	for _, want := range []string{"memory_mb 64", "rate must be positive", `name "a" already used`, `process "weekly"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad-fields: %v lacks %q", err, want)
		}
	}
}

func scenarioWith(a Arrival, d time.Duration) *Scenario {
	return &Scenario{Seed: 3, Duration: Duration{d}, Functions: []Function{{Name: "f", Arrival: a}}}
}

func schedule(t *testing.T, a Arrival, d time.Duration) []time.Duration {
	t.Helper()
	inv, err := scenarioWith(a, d).Schedule(".")
	if err != nil {
		t.Fatal(err)
	}
	out := make([]time.Duration, len(inv))
	for i, v := range inv {
		out[i] = v.At
		if v.At < 0 || v.At >= d {
			t.Fatalf("arrival at %v outside [0, %v)", v.At, d)
		}
		if i > 0 && v.At < inv[i-1].At {
			t.Fatal("schedule not in time order")
		}
	}
	return out
}

func countIn(ts []time.Duration, from, to time.Duration) int {
	n := 0
	for _, t := range ts {
		if t >= from && t < to {
			n++
		}
	}
	return n
}

func TestArrivalProcesses(t *testing.T) {
	d := 600 * time.Second
	// constant: exactly rate·d arrivals, evenly spaced.
	if c := schedule(t, Arrival{Process: "constant", Rate: 2}, d); len(c) != 1200 || c[1]-c[0] != 500*time.Millisecond {
		t.Errorf("constant: %d arrivals, spacing %v", len(c), c[1]-c[0])
	}
	// poisson: mean rate·d = 3000, sd ≈ 55; 5 sd either side.
	if n := len(schedule(t, Arrival{Process: "poisson", Rate: 5}, d)); math.Abs(float64(n)-3000) > 5*math.Sqrt(3000) {
		t.Errorf("poisson: %d arrivals, want about 3000", n)
	}
	// bursts: 10 at each of 0, 60, ..., 540 s.
	b := schedule(t, Arrival{Process: "bursts", BurstSize: 10, BurstEvery: Duration{time.Minute}}, d)
	if len(b) != 100 || countIn(b, 0, time.Nanosecond) != 10 || countIn(b, time.Minute, time.Minute+time.Nanosecond) != 10 {
		t.Errorf("bursts: %d arrivals", len(b))
	}
	// diurnal: the half-period where sin > 0 carries more than the other.
	di := schedule(t, Arrival{Process: "diurnal", Rate: 5, Amplitude: 0.9, Period: Duration{d}}, d)
	if hi, lo := countIn(di, 0, d/2), countIn(di, d/2, d); hi < 3*lo {
		t.Errorf("diurnal: %d arrivals in the high half, %d in the low one", hi, lo)
	}
	// step: nothing before 300 s, about 4/s after.
	st := schedule(t, Arrival{Process: "step", Steps: []Step{{At: Duration{0}, Rate: 0}, {At: Duration{300 * time.Second}, Rate: 4}}}, d)
	if countIn(st, 0, 300*time.Second) != 0 || math.Abs(float64(len(st))-1200) > 5*math.Sqrt(1200) {
		t.Errorf("step: %d arrivals before the step, %d in all", countIn(st, 0, 300*time.Second), len(st))
	}
}

func TestAzureReplayKeepsPerMinuteCounts(t *testing.T) {
	counts, err := readAzureRow("../scenarios/traces/azure-sample.csv", 2)
	if err != nil {
		t.Fatal(err)
	}
	// One trace minute per second, counts as they are: every scaled minute
	// holds exactly the trace's count.
	a := Arrival{Process: "azure_trace", File: "../scenarios/traces/azure-sample.csv", Row: 2, TimeScale: 60, RateScale: 1}
	ts := schedule(t, a, 30*time.Second)
	for m := range 30 {
		if got := countIn(ts, time.Duration(m)*time.Second, time.Duration(m+1)*time.Second); got != counts[m] {
			t.Fatalf("minute %d: %d arrivals, trace says %d", m+1, got, counts[m])
		}
	}
	if _, err := readAzureRow("../scenarios/traces/azure-sample.csv", 99); err == nil || !strings.Contains(err.Error(), "has 3 rows") {
		t.Errorf("missing row: %v", err)
	}
}

func TestScheduleIsDeterministic(t *testing.T) {
	s, err := Load("../scenarios/ci-60s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Schedule("../scenarios")
	b, _ := s.Schedule("../scenarios")
	if len(a) != len(b) {
		t.Fatalf("lengths %d, %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("invocation %d differs: %v vs %v", i, a[i], b[i])
		}
	}
	s.Seed++
	c, _ := s.Schedule("../scenarios")
	if len(c) == len(a) && c[len(c)/2] == a[len(a)/2] {
		t.Error("another seed gave the same schedule")
	}
}
