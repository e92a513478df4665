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

// Architectures a catalog may price: the names faasight stores
// (collector/translate normalises host.arch spellings such as amd64).
var architectures = []string{"x86_64", "arm64"}

// Catalog is one provider product's price list.
type Catalog struct {
	Name          string                  `yaml:"name" json:"name"`
	Provider      string                  `yaml:"provider" json:"provider"`
	Product       string                  `yaml:"product" json:"product"`
	Currency      string                  `yaml:"currency" json:"currency"`
	EffectiveDate string                  `yaml:"effective_date" json:"effective_date"`
	Source        string                  `yaml:"source" json:"source"`
	Regions       map[string]RegionPrices `yaml:"regions" json:"regions"`
}

// RegionPrices are the prices in one region, as decimal strings: money is
// never a float until the very end.
type RegionPrices struct {
	RequestPerMillion string            `yaml:"request_per_million" json:"request_per_million"`
	GBSecond          map[string]string `yaml:"gb_second" json:"gb_second"` // by architecture
}

// Parse decodes a catalog strictly (unknown keys are errors) and validates it.
func Parse(data []byte) (*Catalog, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("pricing: decode catalog: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate reports every problem, each by its key, so that one run fixes a
// catalog instead of one run per mistake.
func (c *Catalog) Validate() error {
	var errs []error
	for _, f := range []struct{ key, value string }{
		{"name", c.Name}, {"provider", c.Provider}, {"currency", c.Currency}, {"source", c.Source},
	} {
		if f.value == "" {
			errs = append(errs, fmt.Errorf("%s: required", f.key))
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
		if _, err := parsePrice(p.RequestPerMillion); err != nil {
			errs = append(errs, fmt.Errorf("regions.%s.request_per_million: %w", region, err))
		}
		if len(p.GBSecond) == 0 {
			errs = append(errs, fmt.Errorf("regions.%s.gb_second: at least one architecture required", region))
		}
		for _, arch := range sortedKeys(p.GBSecond) {
			if !knownArchitecture(arch) {
				errs = append(errs, fmt.Errorf("regions.%s.gb_second.%s: architecture must be one of %s",
					region, arch, strings.Join(architectures, ", ")))
			}
			if _, err := parsePrice(p.GBSecond[arch]); err != nil {
				errs = append(errs, fmt.Errorf("regions.%s.gb_second.%s: %w", region, arch, err))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("pricing: catalog %q: %w", c.Name, errors.Join(errs...))
	}
	return nil
}

func knownArchitecture(arch string) bool {
	for _, a := range architectures {
		if a == arch {
			return true
		}
	}
	return false
}

func parsePrice(s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Zero, errors.New("required")
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("%q is not a decimal number", s)
	}
	if d.IsNegative() {
		return decimal.Zero, fmt.Errorf("%q is negative", s)
	}
	return d, nil
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
		return nil, fmt.Errorf("pricing: list catalogs: %w", err)
	}
	out := make(map[string]*Catalog, len(names))
	for _, name := range names {
		data, err := catalogFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("pricing: read %s: %w", name, err)
		}
		c, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path.Base(name), err)
		}
		// The file name is how a catalog is found; a name that disagrees
		// would make Lookup miss it.
		if want := strings.TrimSuffix(path.Base(name), ".yaml"); c.Name != want {
			return nil, fmt.Errorf("pricing: %s names itself %q, want %q", name, c.Name, want)
		}
		out[c.Name] = c
	}
	return out, nil
}

// Lookup returns the embedded catalog called name.
func Lookup(name string) (*Catalog, error) {
	all, err := Catalogs()
	if err != nil {
		return nil, err
	}
	c, ok := all[name]
	if !ok {
		return nil, fmt.Errorf("pricing: no catalog %q (have %s)", name, strings.Join(sortedKeys(all), ", "))
	}
	return c, nil
}

// Load returns the default catalog.
func Load() (*Catalog, error) { return Lookup(DefaultCatalog) }

// Usage is what one (function, region, architecture, memory) consumed.
type Usage struct {
	Provider         string
	Region           string
	Architecture     string
	MemoryMB         uint32
	Invocations      uint64
	BilledDurationMs uint64
}

// Cost is the price of a Usage. Amounts are exact decimals; callers convert
// to float only when they present a result.
type Cost struct {
	GBSeconds decimal.Decimal
	Request   decimal.Decimal
	Compute   decimal.Decimal
	Total     decimal.Decimal
	// Note says why something is not priced, or what was assumed.
	Note string
}

// oneOver1024 is 1/1024 written out: it has ten decimal digits, so
// multiplying by it is exact, where decimal division would round at the
// package-global DivisionPrecision.
var oneOver1024 = decimal.RequireFromString("0.0009765625")

// Price prices u: requests × per-request price, plus GB-seconds (billed ms
// × MB / 1024 / 1000) × the architecture's GB-second price. Usage the
// catalog has no price for costs zero and says so in Note — it is not an
// error, because one unpriced function must not hide the others' costs.
// The error is for a catalog whose prices do not parse, which only a
// catalog built in code without Validate can have.
func (c *Catalog) Price(u Usage) (Cost, error) {
	cost := Cost{
		GBSeconds: decimal.NewFromUint64(u.BilledDurationMs).
			Mul(decimal.NewFromUint64(uint64(u.MemoryMB))).
			Mul(oneOver1024).
			Shift(-3), // ms → s
	}
	if u.Provider != c.Provider {
		cost.Note = fmt.Sprintf("no %s price for provider %s", c.Name, orUnknown(u.Provider))
		return cost, nil
	}
	p, ok := c.Regions[u.Region]
	if !ok {
		cost.Note = fmt.Sprintf("region %s not in catalog %s", orUnknown(u.Region), c.Name)
		return cost, nil
	}
	var notes []string
	arch := u.Architecture
	if arch == "" {
		arch = DefaultArchitecture
		notes = append(notes, "architecture unknown, priced as "+DefaultArchitecture+" (Lambda's default)")
	}
	perGBs, ok := p.GBSecond[arch]
	if !ok {
		cost.Note = fmt.Sprintf("no %s price for architecture %s in %s", c.Name, arch, u.Region)
		return cost, nil
	}
	perMillion, err := parsePrice(p.RequestPerMillion)
	if err != nil {
		return Cost{}, fmt.Errorf("pricing: catalog %s: regions.%s.request_per_million: %w", c.Name, u.Region, err)
	}
	perGBSecond, err := parsePrice(perGBs)
	if err != nil {
		return Cost{}, fmt.Errorf("pricing: catalog %s: regions.%s.gb_second.%s: %w", c.Name, u.Region, arch, err)
	}
	cost.Request = decimal.NewFromUint64(u.Invocations).Mul(perMillion).Shift(-6)
	if u.MemoryMB == 0 {
		// Without the configured memory there are no GB-seconds to price;
		// guessing a size would invent money.
		notes = append(notes, "configured memory unknown (faas.max_memory), compute not priced")
	} else {
		cost.Compute = cost.GBSeconds.Mul(perGBSecond)
	}
	cost.Total = cost.Request.Add(cost.Compute)
	cost.Note = strings.Join(notes, "; ")
	return cost, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
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
