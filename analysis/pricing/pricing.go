// Package pricing holds faasight's price catalogs (versioned data files,
// each with its source and effective date) and the exact arithmetic that
// turns billed usage into money. It knows nothing of ClickHouse: analysis
// measures the usage, pricing prices it.
package pricing

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

//go:embed catalogs/*.yaml
var catalogFiles embed.FS

// DefaultCatalog is the catalog reports use unless told otherwise.
const DefaultCatalog = "aws-lambda"

// DefaultArchitecture is what a function without host.arch is priced as:
// Lambda's default architecture.
const DefaultArchitecture = "x86_64"

// Catalog is one provider product's price list.
type Catalog struct {
	Name          string                  `yaml:"name"`
	Provider      string                  `yaml:"provider"`
	Product       string                  `yaml:"product"`
	Currency      string                  `yaml:"currency"`
	EffectiveDate string                  `yaml:"effective_date"`
	Source        string                  `yaml:"source"`
	Regions       map[string]RegionPrices `yaml:"regions"`
}

// RegionPrices are the prices in one region, as decimal strings: money is
// never a float until the very end.
type RegionPrices struct {
	RequestPerMillion string            `yaml:"request_per_million"`
	GBSecond          map[string]string `yaml:"gb_second"` // by architecture
}

// Parse decodes a catalog strictly (unknown keys are errors) and validates it.
func Parse(data []byte) (*Catalog, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("pricing: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate reports every problem, each by its key.
func (c *Catalog) Validate() error {
	var errs []error
	for key, v := range map[string]string{"name": c.Name, "provider": c.Provider, "currency": c.Currency, "source": c.Source} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s: required", key))
		}
	}
	if _, err := time.Parse(time.DateOnly, c.EffectiveDate); err != nil {
		errs = append(errs, fmt.Errorf("effective_date: %q is not YYYY-MM-DD", c.EffectiveDate))
	}
	if len(c.Regions) == 0 {
		errs = append(errs, errors.New("regions: at least one region required"))
	}
	for _, region := range sortedKeys(c.Regions) {
		p := c.Regions[region]
		if err := checkPrice(p.RequestPerMillion); err != nil {
			errs = append(errs, fmt.Errorf("regions.%s.request_per_million: %w", region, err))
		}
		if len(p.GBSecond) == 0 {
			errs = append(errs, fmt.Errorf("regions.%s.gb_second: at least one architecture required", region))
		}
		for _, arch := range sortedKeys(p.GBSecond) {
			if arch != "x86_64" && arch != "arm64" {
				errs = append(errs, fmt.Errorf("regions.%s.gb_second.%s: architecture must be x86_64 or arm64", region, arch))
			}
			if err := checkPrice(p.GBSecond[arch]); err != nil {
				errs = append(errs, fmt.Errorf("regions.%s.gb_second.%s: %w", region, arch, err))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("pricing: catalog %q: %w", c.Name, errors.Join(errs...))
	}
	return nil
}

func checkPrice(s string) error {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("%q is not a decimal number", s)
	}
	if d.IsNegative() {
		return fmt.Errorf("%q is negative", s)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Catalogs returns every embedded catalog, by name.
func Catalogs() (map[string]*Catalog, error) {
	names, err := fs.Glob(catalogFiles, "catalogs/*.yaml")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Catalog, len(names))
	for _, name := range names {
		data, err := catalogFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		c, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path.Base(name), err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".yaml"); c.Name != want {
			return nil, fmt.Errorf("pricing: %s names itself %q", name, c.Name)
		}
		out[c.Name] = c
	}
	return out, nil
}

// Load returns the default catalog.
func Load() (*Catalog, error) {
	all, err := Catalogs()
	if err != nil {
		return nil, err
	}
	c, ok := all[DefaultCatalog]
	if !ok {
		return nil, fmt.Errorf("pricing: default catalog %q missing", DefaultCatalog)
	}
	return c, nil
}

// Usage is what one (function, region, architecture, memory) consumed.
type Usage struct {
	Provider         string
	Region           string
	Architecture     string
	MemoryMB         uint32
	Invocations      uint64
	BilledDurationMs uint64
}

// Cost is the price of a Usage. Amounts are exact decimals.
type Cost struct {
	GBSeconds decimal.Decimal
	Request   decimal.Decimal
	Compute   decimal.Decimal
	Total     decimal.Decimal
	// Note says why something is not priced, or what was assumed.
	Note string
}

var (
	million     = decimal.NewFromInt(1_000_000)
	msPerSecond = decimal.NewFromInt(1000)
	mbPerGB     = decimal.NewFromInt(1024)
)

// Price prices u: requests × per-request price, plus GB-seconds (billed ms
// × MB / 1024 / 1000) × the architecture's GB-second price. Usage the
// catalog has no price for costs zero and says so in Note — it is not an
// error, because one unpriced function must not hide the others' costs.
func (c *Catalog) Price(u Usage) Cost {
	cost := Cost{
		GBSeconds: decimal.NewFromInt(int64(u.BilledDurationMs)).
			Mul(decimal.NewFromInt(int64(u.MemoryMB))).
			Div(mbPerGB).Div(msPerSecond),
	}
	if u.Provider != c.Provider {
		cost.Note = fmt.Sprintf("no %s price for provider %q", c.Name, u.Provider)
		return cost
	}
	p, ok := c.Regions[u.Region]
	if !ok {
		cost.Note = fmt.Sprintf("region %q not in catalog %s", u.Region, c.Name)
		return cost
	}
	var notes []string
	arch := u.Architecture
	if arch == "" {
		arch = DefaultArchitecture
		notes = append(notes, "architecture unknown, priced as "+DefaultArchitecture)
	}
	perGBs, ok := p.GBSecond[arch]
	if !ok {
		cost.Note = fmt.Sprintf("no %s price for architecture %q", c.Name, arch)
		return cost
	}
	perMillion := decimal.RequireFromString(p.RequestPerMillion)
	cost.Request = decimal.NewFromInt(int64(u.Invocations)).Mul(perMillion).Div(million)
	if u.MemoryMB == 0 {
		notes = append(notes, "configured memory unknown (faas.max_memory), compute not priced")
	} else {
		cost.Compute = cost.GBSeconds.Mul(decimal.RequireFromString(perGBs))
	}
	cost.Total = cost.Request.Add(cost.Compute)
	cost.Note = strings.Join(notes, "; ")
	return cost
}

// BilledMs is the duration AWS bills for one invocation: the reported
// billed duration when the telemetry has it, else the duration plus (on a
// cold start) the INIT phase, rounded up to the next millisecond — as in a
// REPORT line: Duration 1.50 ms + Init Duration 117.81 ms → Billed 120 ms.
// analysis computes the same sum in ClickHouse (queries/cost.sql).
func BilledMs(durationNs, initNs uint64, cold bool, reportedBilledMs uint64) uint64 {
	if reportedBilledMs > 0 {
		return reportedBilledMs
	}
	ns := durationNs
	if cold {
		ns += initNs
	}
	return (ns + 999_999) / 1_000_000
}
