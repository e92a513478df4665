// Package scenario reads load-generator scenarios (YAML) and turns them into
// a deterministic schedule of invocations: per function an arrival process
// — constant, Poisson, bursts, diurnal, steps — or a replay of the Azure
// Functions 2019 public trace, all driven by the scenario's seed so that a
// run can be repeated exactly.
package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"
)

// Scenario is one load test.
type Scenario struct {
	Name      string     `yaml:"name"`
	Seed      uint64     `yaml:"seed"`
	Duration  Duration   `yaml:"duration"`
	Defaults  Settings   `yaml:"defaults"`
	Functions []Function `yaml:"functions"`
}

// Settings are the deployment settings of a function; Defaults fills what a
// function leaves out.
type Settings struct {
	Provider     string   `yaml:"provider"`
	Platform     string   `yaml:"platform"`
	Region       string   `yaml:"region"`
	Architecture string   `yaml:"architecture"`
	MemoryMB     int      `yaml:"memory_mb"`
	KeepAlive    Duration `yaml:"keep_alive"`
	Concurrency  int      `yaml:"concurrency"`
	Timeout      Duration `yaml:"timeout"`
}

// Function is one deployed function and the load on it.
type Function struct {
	Name     string `yaml:"name"`
	Code     string `yaml:"function"` // reference function: sleep, dynamic-html, ...
	Settings `yaml:",inline"`
	Payload  map[string]any `yaml:"payload"`
	Arrival  Arrival        `yaml:"arrival"`

	line int // where it is defined, for error messages
}

// Arrival describes when invocations arrive.
type Arrival struct {
	Process string `yaml:"process"` // constant, poisson, bursts, diurnal, step, azure_trace
	// Rate is invocations per second (constant, poisson; the mean of
	// diurnal; the background of bursts).
	Rate float64 `yaml:"rate"`
	// Bursts: BurstSize invocations at once every BurstEvery.
	BurstSize  int      `yaml:"burst_size"`
	BurstEvery Duration `yaml:"burst_every"`
	// Diurnal: rate·(1 + Amplitude·sin(2πt/Period)).
	Amplitude float64  `yaml:"amplitude"`
	Period    Duration `yaml:"period"`
	// Step: the rate changes at the given offsets.
	Steps []Step `yaml:"steps"`
	// Azure trace replay: Row (1-based, after the header) of File,
	// one trace minute every TimeScale-th of a minute, counts × RateScale.
	File      string  `yaml:"file"`
	Row       int     `yaml:"row"`
	TimeScale float64 `yaml:"time_scale"`
	RateScale float64 `yaml:"rate_scale"`
}

// Step is one level of a step arrival process.
type Step struct {
	At   Duration `yaml:"at"`
	Rate float64  `yaml:"rate"`
}

// Duration is a time.Duration written as "30s", "5m".
type Duration struct{ time.Duration }

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (like 30s or 5m)", n.Line, s)
	}
	d.Duration = v
	return nil
}

// Load reads and validates a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return s, nil
}

// Parse decodes a scenario strictly (unknown keys are errors) and checks
// every field, naming each problem's field and line.
func Parse(data []byte) (*Scenario, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	recordLines(&root, &s)
	for i := range s.Functions {
		s.Functions[i].Settings = s.Functions[i].Settings.withDefaults(s.Defaults)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// recordLines notes the line of each function entry, which the decoded
// structs do not keep.
func recordLines(root *yaml.Node, s *Scenario) {
	if len(root.Content) == 0 {
		return
	}
	doc := root.Content[0]
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "functions" {
			continue
		}
		for j, fn := range doc.Content[i+1].Content {
			if j < len(s.Functions) {
				s.Functions[j].line = fn.Line
			}
		}
	}
}

func (st Settings) withDefaults(d Settings) Settings {
	pick := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	st.Provider, st.Platform = pick(st.Provider, d.Provider), pick(st.Platform, d.Platform)
	st.Region, st.Architecture = pick(st.Region, d.Region), pick(st.Architecture, d.Architecture)
	if st.MemoryMB == 0 {
		st.MemoryMB = d.MemoryMB
	}
	if st.KeepAlive.Duration == 0 {
		st.KeepAlive = d.KeepAlive
	}
	if st.Concurrency == 0 {
		st.Concurrency = d.Concurrency
	}
	if st.Timeout.Duration == 0 {
		st.Timeout = d.Timeout
	}
	return st
}

var functionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Codes are the reference functions a scenario can deploy.
var Codes = []string{"sleep", "dynamic-html", "thumbnailer", "compression", "graph-bfs", "crud"}

func (s *Scenario) validate() error {
	var errs []error
	if s.Duration.Duration <= 0 {
		errs = append(errs, errors.New("duration: must be positive (like 60s)"))
	}
	if len(s.Functions) == 0 {
		errs = append(errs, errors.New("functions: at least one function required"))
	}
	seen := map[string]int{}
	for i := range s.Functions {
		f := &s.Functions[i]
		at := fmt.Sprintf("functions[%d] (line %d)", i, f.line)
		if !functionName.MatchString(f.Name) {
			errs = append(errs, fmt.Errorf("%s: name %q: use 1-64 letters, digits, '.', '_' or '-'", at, f.Name))
		}
		if prev, dup := seen[f.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: name %q already used by functions[%d]", at, f.Name, prev))
		}
		seen[f.Name] = i
		if !contains(Codes, f.Code) {
			errs = append(errs, fmt.Errorf("%s: function %q: must be one of %v", at, f.Code, Codes))
		}
		if f.MemoryMB < 128 || f.MemoryMB > 10240 {
			errs = append(errs, fmt.Errorf("%s: memory_mb %d: must be 128..10240", at, f.MemoryMB))
		}
		if f.Architecture != "x86_64" && f.Architecture != "arm64" {
			errs = append(errs, fmt.Errorf("%s: architecture %q: must be x86_64 or arm64", at, f.Architecture))
		}
		if f.Concurrency < 1 {
			errs = append(errs, fmt.Errorf("%s: concurrency %d: must be at least 1", at, f.Concurrency))
		}
		if f.KeepAlive.Duration <= 0 || f.Timeout.Duration <= 0 {
			errs = append(errs, fmt.Errorf("%s: keep_alive and timeout must be positive", at))
		}
		if err := f.Arrival.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: arrival: %w", at, err))
		}
	}
	return errors.Join(errs...)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (a Arrival) validate() error {
	switch a.Process {
	case "constant", "poisson":
		if a.Rate <= 0 {
			return fmt.Errorf("%s: rate must be positive", a.Process)
		}
	case "bursts":
		if a.Rate < 0 || a.BurstSize < 1 || a.BurstEvery.Duration <= 0 {
			return errors.New("bursts: need burst_size >= 1, burst_every > 0 and rate >= 0")
		}
	case "diurnal":
		if a.Rate <= 0 || a.Amplitude < 0 || a.Amplitude > 1 || a.Period.Duration <= 0 {
			return errors.New("diurnal: need rate > 0, 0 <= amplitude <= 1 and period > 0")
		}
	case "step":
		if len(a.Steps) == 0 {
			return errors.New("step: steps required")
		}
		for i, st := range a.Steps {
			if st.Rate < 0 || (i > 0 && st.At.Duration <= a.Steps[i-1].At.Duration) {
				return fmt.Errorf("step: steps[%d]: rates must be >= 0 and offsets increasing", i)
			}
		}
	case "azure_trace":
		if a.File == "" || a.Row < 1 || a.TimeScale <= 0 || a.RateScale <= 0 {
			return errors.New("azure_trace: need file, row >= 1, time_scale > 0 and rate_scale > 0")
		}
	default:
		return fmt.Errorf("process %q: must be constant, poisson, bursts, diurnal, step or azure_trace", a.Process)
	}
	return nil
}
