package scenario

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// Invocation is one scheduled invocation: which function, how long after
// the start of the run.
type Invocation struct {
	Function string
	At       time.Duration
}

// Schedule lists every invocation of the run in time order. It is a pure
// function of the scenario: the same seed gives the same schedule. Trace
// files are resolved relative to dir (the scenario file's directory).
func (s *Scenario) Schedule(dir string) ([]Invocation, error) {
	var out []Invocation
	for i, f := range s.Functions {
		// One stream per function, so adding a function does not change
		// the others' arrivals.
		rng := rand.New(rand.NewPCG(s.Seed, uint64(i)+1))
		times, err := f.Arrival.times(rng, s.Duration.Duration, dir)
		if err != nil {
			return nil, fmt.Errorf("scenario: function %s: %w", f.Name, err)
		}
		for _, t := range times {
			out = append(out, Invocation{Function: f.Name, At: t})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out, nil
}

func seconds(d time.Duration) float64 { return d.Seconds() }

func fromSeconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// times are the arrival offsets in [0, d).
func (a Arrival) times(rng *rand.Rand, d time.Duration, dir string) ([]time.Duration, error) {
	switch a.Process {
	case "constant":
		var out []time.Duration
		for k := 0; ; k++ {
			t := fromSeconds(float64(k) / a.Rate)
			if t >= d {
				return out, nil
			}
			out = append(out, t)
		}
	case "poisson":
		return poisson(rng, d, func(float64) float64 { return a.Rate }, a.Rate), nil
	case "bursts":
		var out []time.Duration
		for t := time.Duration(0); t < d; t += a.BurstEvery.Duration {
			for range a.BurstSize {
				out = append(out, t)
			}
		}
		if a.Rate > 0 {
			out = append(out, poisson(rng, d, func(float64) float64 { return a.Rate }, a.Rate)...)
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out, nil
	case "diurnal":
		period := seconds(a.Period.Duration)
		rate := func(t float64) float64 { return a.Rate * (1 + a.Amplitude*math.Sin(2*math.Pi*t/period)) }
		return poisson(rng, d, rate, a.Rate*(1+a.Amplitude)), nil
	case "step":
		rate := func(t float64) float64 {
			r := 0.0
			for _, st := range a.Steps {
				if t >= seconds(st.At.Duration) {
					r = st.Rate
				}
			}
			return r
		}
		max := 0.0
		for _, st := range a.Steps {
			max = math.Max(max, st.Rate)
		}
		if max == 0 {
			return nil, nil
		}
		return poisson(rng, d, rate, max), nil
	case "azure_trace":
		path := a.File
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		counts, err := readAzureRow(path, a.Row)
		if err != nil {
			return nil, err
		}
		return azureTimes(rng, counts, a.TimeScale, a.RateScale, d), nil
	}
	return nil, fmt.Errorf("unknown arrival process %q", a.Process)
}

// poisson draws a (possibly non-homogeneous) Poisson process by thinning:
// candidates at rate max, each kept with probability rate(t)/max.
func poisson(rng *rand.Rand, d time.Duration, rate func(t float64) float64, max float64) []time.Duration {
	var out []time.Duration
	end := seconds(d)
	for t := rng.ExpFloat64() / max; t < end; t += rng.ExpFloat64() / max {
		if rng.Float64()*max < rate(t) {
			out = append(out, fromSeconds(t))
		}
	}
	return out
}

// readAzureRow reads the per-minute invocation counts of one function from
// the Azure Functions 2019 trace (invocations_per_function_md.anon.dNN.csv:
// HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440).
func readAzureRow(path string, row int) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	first := -1
	for i, h := range header {
		if h == "1" {
			first = i
			break
		}
	}
	if first < 0 {
		return nil, fmt.Errorf("%s: no minute columns (1..1440) in the header: not an Azure Functions 2019 invocation trace", path)
	}
	for n := 1; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: row %d: the file has %d rows", path, row, n-1)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if n != row {
			continue
		}
		counts := make([]int, 0, len(rec)-first)
		for i, v := range rec[first:] {
			c, err := strconv.Atoi(v)
			if err != nil || c < 0 {
				return nil, fmt.Errorf("%s: row %d, minute %d: %q is not a count", path, row, i+1, v)
			}
			counts = append(counts, c)
		}
		return counts, nil
	}
}

// azureTimes replays per-minute counts: trace minute m starts at
// m·60s/timeScale, holds round(count·rateScale) arrivals (the fraction is
// kept with that probability) spread uniformly over the scaled minute.
func azureTimes(rng *rand.Rand, counts []int, timeScale, rateScale float64, d time.Duration) []time.Duration {
	minute := 60 / timeScale // seconds of run time per trace minute
	var out []time.Duration
	for m, c := range counts {
		start := float64(m) * minute
		if start >= seconds(d) {
			break
		}
		want := float64(c) * rateScale
		n := int(want)
		if rng.Float64() < want-float64(n) {
			n++
		}
		for range n {
			if t := fromSeconds(start + rng.Float64()*minute); t < d {
				out = append(out, t)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
