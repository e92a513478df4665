package pricing

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
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

// FormatVersion is the catalog file format this package reads. Format 2
// dates every price, so a past window is priced with the prices of its time.
const FormatVersion = 2

// Architectures a catalog may price: the names faasight stores
// (collector/translate normalises host.arch spellings such as amd64).
var architectures = []string{"x86_64", "arm64"}

// AnyRegion in a region group matches every region: for providers whose
// price does not depend on where the code runs (Cloudflare).
const AnyRegion = "*"

// Catalog is one provider product's price list: every price it has had,
// each with the dates it applied, the region group it applies to and the
// page it was taken from. Which usage becomes which priced quantity is the
// catalog's model (code, model.go); the numbers are data.
type Catalog struct {
	Format   int    `yaml:"format" json:"format"`
	Name     string `yaml:"name" json:"name"`
	Provider string `yaml:"provider" json:"provider"`
	Product  string `yaml:"product" json:"product"`
	// Model names the billing rules in code that turn usage into the
	// meters priced below (see models).
	Model    string `yaml:"model" json:"model"`
	Currency string `yaml:"currency" json:"currency"`
	// Source is the product's pricing page; each price names its own too.
	Source string `yaml:"source" json:"source"`
	// EffectiveDate is derived, not written: the date of the latest price
	// or billing-rule change the file knows (newest effective_from, or
	// rules.init_billed_from if later).
	EffectiveDate string              `yaml:"-" json:"effective_date"`
	Rules         Rules               `yaml:"rules" json:"rules"`
	RegionGroups  map[string][]string `yaml:"region_groups" json:"region_groups"`
	Prices        []PriceEntry        `yaml:"prices" json:"prices"`
	FreeTier      []Allowance         `yaml:"free_tier" json:"free_tier,omitempty"`
}

// Rules are the numeric parameters of a model's billing rules. Zero means
// "the rule does not apply".
type Rules struct {
	// DurationStepMs: billed duration of one invocation rounds up to a
	// multiple of this (AWS 1, Google 100).
	DurationStepMs uint64 `yaml:"duration_step_ms" json:"duration_step_ms,omitempty"`
	// MinDurationMs: the least an invocation is billed (Azure 100).
	MinDurationMs uint64 `yaml:"min_duration_ms" json:"min_duration_ms,omitempty"`
	// MemoryStepMB, MinMemoryMB, MaxMemoryMB: billed memory rounds up to a
	// multiple of the step and is clamped (Azure Consumption 128/128/1536).
	MemoryStepMB uint32 `yaml:"memory_step_mb" json:"memory_step_mb,omitempty"`
	MinMemoryMB  uint32 `yaml:"min_memory_mb" json:"min_memory_mb,omitempty"`
	MaxMemoryMB  uint32 `yaml:"max_memory_mb" json:"max_memory_mb,omitempty"`
	// MemorySizesMB are the only memory sizes one can configure (Azure
	// Flex 512, 2048, 4096): any other size is billed as the next listed
	// size up, or the largest.
	MemorySizesMB []uint32 `yaml:"memory_sizes_mb" json:"memory_sizes_mb,omitempty"`
	// ActivityPeriods: duration is billed per instance activity period
	// (Azure Flex), each at least MinDurationMs and then in DurationStepMs
	// steps, not per execution; see Catalog.ActivityBilledMs.
	ActivityPeriods bool `yaml:"activity_periods" json:"activity_periods,omitempty"`
	// FreeEphemeralStorageMB is the storage included with every function
	// (Lambda 512); only what is configured above it is billed.
	FreeEphemeralStorageMB uint32 `yaml:"free_ephemeral_storage_mb" json:"free_ephemeral_storage_mb,omitempty"`
	// InitBilledFrom is the date from which the INIT phase of every
	// on-demand function is billed; before it only custom runtimes and
	// container images paid for INIT (Lambda, 2025-08-01).
	InitBilledFrom string `yaml:"init_billed_from" json:"init_billed_from,omitempty"`
	// CPUByMemory maps a memory size (MB) to the CPU that comes with it:
	// GHz for Cloud Functions 1st gen, vCPU for 2nd gen defaults.
	CPUByMemory map[uint32]string `yaml:"cpu_by_memory" json:"cpu_by_memory,omitempty"`
}

// PriceEntry is one price of one meter in one region group over one period.
// A price change is a new entry whose effective_from is the previous
// entry's effective_to.
type PriceEntry struct {
	Meter string `yaml:"meter" json:"meter"`
	// Unit names what is counted ("GB-second", "request"); Per is how
	// many of them the price is for ("1000000" for a per-million price),
	// a power of ten so that dividing by it is exact.
	Unit    string `yaml:"unit" json:"unit"`
	Per     string `yaml:"per" json:"per,omitempty"`
	Regions string `yaml:"regions" json:"regions"`
	// EffectiveFrom is inclusive, EffectiveTo exclusive and optional.
	EffectiveFrom string `yaml:"effective_from" json:"effective_from"`
	EffectiveTo   string `yaml:"effective_to" json:"effective_to,omitempty"`
	Source        string `yaml:"source" json:"source"`
	// Price is a flat price; Tiers a monthly volume ladder. Exactly one.
	Price string `yaml:"price" json:"price,omitempty"`
	Tiers []Tier `yaml:"tiers" json:"tiers,omitempty"`
}

// Tier is one step of a monthly volume ladder: units up to UpTo (counted
// from the start of the month, in Unit) cost Price per Per units. The last
// tier has no UpTo.
type Tier struct {
	UpTo  string `yaml:"up_to" json:"up_to,omitempty"`
	Price string `yaml:"price" json:"price"`
}

// Allowance is a free tier or an included amount: Amount units of Meters
// (together) per account and calendar month, in Scope "account" (all
// regions together) or "region" (each region apart).
type Allowance struct {
	Name   string   `yaml:"name" json:"name"`
	Meters []string `yaml:"meters" json:"meters"`
	Amount string   `yaml:"amount" json:"amount"`
	Scope  string   `yaml:"scope" json:"scope"`
	// ValuedAt is a region group whose first-tier price values the
	// credit (Google applies its free tier "using Tier 1 pricing");
	// empty: the credit is the price of the units it covers.
	ValuedAt      string `yaml:"valued_at" json:"valued_at,omitempty"`
	EffectiveFrom string `yaml:"effective_from" json:"effective_from"`
	EffectiveTo   string `yaml:"effective_to" json:"effective_to,omitempty"`
	Source        string `yaml:"source" json:"source"`
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
	c.EffectiveDate = c.newestDate()
	return &c, nil
}

func (c *Catalog) newestDate() string {
	newest := c.Rules.InitBilledFrom
	for _, p := range c.Prices {
		if p.EffectiveFrom > newest {
			newest = p.EffectiveFrom
		}
	}
	return newest
}

// Validate reports every problem, each by its key, so that one run fixes a
// catalog instead of one run per mistake.
func (c *Catalog) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Format != FormatVersion {
		add("format: %d, want %d", c.Format, FormatVersion)
	}
	for _, f := range []struct{ key, value string }{
		{"name", c.Name}, {"provider", c.Provider}, {"model", c.Model}, {"currency", c.Currency}, {"source", c.Source},
	} {
		if f.value == "" {
			add("%s: required", f.key)
		}
	}
	m, knownModel := models[c.Model]
	if c.Model != "" && !knownModel {
		add("model: %q is not one of %s", c.Model, strings.Join(sortedKeys(models), ", "))
	}
	if c.Rules.InitBilledFrom != "" {
		if _, err := parseDate(c.Rules.InitBilledFrom); err != nil {
			add("rules.init_billed_from: %w", err)
		}
	}
	for _, mb := range sortedKeys(c.Rules.CPUByMemory) {
		if _, err := parsePrice(c.Rules.CPUByMemory[mb]); err != nil {
			add("rules.cpu_by_memory.%d: %w", mb, err)
		}
	}
	if !slices.IsSorted(c.Rules.MemorySizesMB) || slices.Contains(c.Rules.MemorySizesMB, 0) {
		add("rules.memory_sizes_mb: %v must be positive and ascending", c.Rules.MemorySizesMB)
	}
	if len(c.RegionGroups) == 0 {
		add("region_groups: at least one group required")
	}
	for _, g := range sortedKeys(c.RegionGroups) {
		if len(c.RegionGroups[g]) == 0 {
			add("region_groups.%s: at least one region required", g)
		}
	}
	if len(c.Prices) == 0 {
		add("prices: at least one price required")
	}
	for i, p := range c.Prices {
		key := fmt.Sprintf("prices[%d]", i)
		if p.Meter != "" {
			key = fmt.Sprintf("prices[%d] (%s)", i, p.Meter)
		}
		if p.Meter == "" {
			add("%s.meter: required", key)
		} else if knownModel && !slices.Contains(m.meters, p.Meter) {
			add("%s.meter: model %s has no meter %q (it has %s)", key, c.Model, p.Meter, strings.Join(m.meters, ", "))
		}
		if p.Unit == "" {
			add("%s.unit: required", key)
		}
		if p.Per != "" {
			if _, err := parsePer(p.Per); err != nil {
				add("%s.per: %w", key, err)
			}
		}
		if _, ok := c.RegionGroups[p.Regions]; !ok {
			add("%s.regions: %q is not a region group", key, p.Regions)
		}
		if p.Source == "" {
			add("%s.source: required", key)
		}
		errs = append(errs, validatePeriod(key, p.EffectiveFrom, p.EffectiveTo)...)
		switch {
		case p.Price != "" && len(p.Tiers) > 0:
			add("%s: price and tiers are exclusive", key)
		case p.Price != "":
			if _, err := parsePrice(p.Price); err != nil {
				add("%s.price: %w", key, err)
			}
		case len(p.Tiers) > 0:
			errs = append(errs, validateTiers(key, p.Tiers)...)
		default:
			add("%s: price or tiers required", key)
		}
	}
	errs = append(errs, c.validateOverlaps()...)
	for i, a := range c.FreeTier {
		key := fmt.Sprintf("free_tier[%d]", i)
		if a.Name != "" {
			key = fmt.Sprintf("free_tier[%d] (%s)", i, a.Name)
		}
		if a.Name == "" {
			add("%s.name: required", key)
		}
		if len(a.Meters) == 0 {
			add("%s.meters: at least one meter required", key)
		}
		for _, meter := range a.Meters {
			if knownModel && !slices.Contains(m.meters, meter) {
				add("%s.meters: model %s has no meter %q", key, c.Model, meter)
			}
		}
		if _, err := parsePrice(a.Amount); err != nil {
			add("%s.amount: %w", key, err)
		}
		if a.Scope != "account" && a.Scope != "region" {
			add("%s.scope: %q is not account or region", key, a.Scope)
		}
		if _, ok := c.RegionGroups[a.ValuedAt]; a.ValuedAt != "" && !ok {
			add("%s.valued_at: %q is not a region group", key, a.ValuedAt)
		}
		if a.Source == "" {
			add("%s.source: required", key)
		}
		errs = append(errs, validatePeriod(key, a.EffectiveFrom, a.EffectiveTo)...)
	}
	if len(errs) > 0 {
		return fmt.Errorf("pricing: catalog %q: %w", c.Name, errors.Join(errs...))
	}
	return nil
}

func validatePeriod(key, from, to string) []error {
	var errs []error
	f, err := parseDate(from)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s.effective_from: %w", key, err))
	}
	if to != "" {
		t, err := parseDate(to)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.effective_to: %w", key, err))
		} else if !t.After(f) {
			errs = append(errs, fmt.Errorf("%s.effective_to: %s is not after effective_from %s", key, to, from))
		}
	}
	return errs
}

// validateTiers enforces what makes volume pricing a discount: bounds that
// rise, prices that never rise, and an open last tier. The property tests
// rely on it: the marginal unit price never rises with monthly volume.
func validateTiers(key string, tiers []Tier) []error {
	var errs []error
	prevUpTo, prevPrice := decimal.Zero, decimal.Zero
	for i, t := range tiers {
		tk := fmt.Sprintf("%s.tiers[%d]", key, i)
		price, err := parsePrice(t.Price)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.price: %w", tk, err))
		} else if i > 0 && price.GreaterThan(prevPrice) {
			errs = append(errs, fmt.Errorf("%s.price: %s is above the tier before (%s); volume tiers only go down", tk, t.Price, prevPrice))
		}
		prevPrice = price
		last := i == len(tiers)-1
		switch {
		case last && t.UpTo != "":
			errs = append(errs, fmt.Errorf("%s.up_to: the last tier is open-ended, remove up_to", tk))
		case !last && t.UpTo == "":
			errs = append(errs, fmt.Errorf("%s.up_to: required on every tier but the last", tk))
		case !last:
			up, err := parsePrice(t.UpTo)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.up_to: %w", tk, err))
			} else if !up.GreaterThan(prevUpTo) {
				errs = append(errs, fmt.Errorf("%s.up_to: %s is not above the tier before", tk, t.UpTo))
			}
			prevUpTo = up
		}
	}
	return errs
}

// validateOverlaps: two entries of one meter for one region group must not
// both be in effect on a day, or the price of that day would depend on
// file order.
func (c *Catalog) validateOverlaps() []error {
	var errs []error
	for i, a := range c.Prices {
		for j := i + 1; j < len(c.Prices); j++ {
			b := c.Prices[j]
			if a.Meter != b.Meter || !c.groupsOverlap(a.Regions, b.Regions) {
				continue
			}
			if periodsOverlap(a.EffectiveFrom, a.EffectiveTo, b.EffectiveFrom, b.EffectiveTo) {
				errs = append(errs, fmt.Errorf("prices[%d] and prices[%d]: two %s prices in effect at once for regions %s and %s",
					i, j, a.Meter, a.Regions, b.Regions))
			}
		}
	}
	return errs
}

func (c *Catalog) groupsOverlap(g1, g2 string) bool {
	for _, r := range c.RegionGroups[g1] {
		if r == AnyRegion || slices.Contains(c.RegionGroups[g2], r) || slices.Contains(c.RegionGroups[g2], AnyRegion) {
			return true
		}
	}
	return false
}

// periodsOverlap compares YYYY-MM-DD strings, which order as dates; an
// empty end is open.
func periodsOverlap(from1, to1, from2, to2 string) bool {
	return (to2 == "" || from1 < to2) && (to1 == "" || from2 < to1)
}

func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not YYYY-MM-DD", s)
	}
	return t, nil
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

// parsePer returns the power of ten per is, as the exponent: prices are
// divided by shifting, which is exact, where decimal division rounds.
func parsePer(per string) (int32, error) {
	if per == "" {
		return 0, nil
	}
	d, err := parsePrice(per)
	if err != nil {
		return 0, err
	}
	for exp := int32(0); exp <= 12; exp++ {
		if d.Equal(decimal.New(1, exp)) {
			return exp, nil
		}
	}
	return 0, fmt.Errorf("%q is not a power of ten (1, 1000, 1000000, ...)", per)
}

func sortedKeys[K interface{ ~string | ~uint32 }, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// Catalogs returns every embedded catalog, by name.
func Catalogs() (map[string]*Catalog, error) {
	sub, err := fs.Sub(catalogFiles, "catalogs")
	if err != nil {
		return nil, fmt.Errorf("pricing: embedded catalogs: %w", err)
	}
	return loadFS(sub)
}

// LoadDir returns the embedded catalogs with every *.yaml file in dir laid
// over them: a file named like an embedded catalog replaces it, any other
// adds one. It is how an operator applies a price change (or a negotiated
// discount) without a new binary.
func LoadDir(dir string) (map[string]*Catalog, error) {
	all, err := Catalogs()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("pricing: catalog directory: %w", err)
	}
	over, err := loadFS(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("pricing: %s: %w", filepath.Clean(dir), err)
	}
	for name, c := range over {
		all[name] = c
	}
	return all, nil
}

func loadFS(fsys fs.FS) (map[string]*Catalog, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("pricing: list catalogs: %w", err)
	}
	out := make(map[string]*Catalog, len(names))
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("pricing: read %s: %w", name, err)
		}
		c, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
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

// inGroup reports whether region belongs to the region group.
func (c *Catalog) inGroup(group, region string) bool {
	for _, r := range c.RegionGroups[group] {
		if r == region || r == AnyRegion {
			return true
		}
	}
	return false
}

// knowsRegion reports whether any region group holds region.
func (c *Catalog) knowsRegion(region string) bool {
	for g := range c.RegionGroups {
		if c.inGroup(g, region) {
			return true
		}
	}
	return false
}

// entry is the price of meter in region on day (YYYY-MM-DD); an empty day
// means the newest entry, for callers that price without a date.
func (c *Catalog) entry(meter, region, day string) (*PriceEntry, bool) {
	var best *PriceEntry
	for i := range c.Prices {
		p := &c.Prices[i]
		if p.Meter != meter || !c.inGroup(p.Regions, region) {
			continue
		}
		if day == "" {
			if best == nil || p.EffectiveFrom > best.EffectiveFrom {
				best = p
			}
			continue
		}
		if p.EffectiveFrom <= day && (p.EffectiveTo == "" || day < p.EffectiveTo) {
			return p, true
		}
	}
	return best, best != nil
}

// entryInGroup is like entry, for a region group rather than a region.
func (c *Catalog) entryInGroup(meter, group, day string) (*PriceEntry, bool) {
	regions := c.RegionGroups[group]
	if len(regions) == 0 {
		return nil, false
	}
	return c.entry(meter, regions[0], day)
}

// hasMeter reports whether the catalog prices meter in region at all, on
// any date: it tells "no such architecture here" from "not on that date".
func (c *Catalog) hasMeter(meter, region string) bool {
	for _, p := range c.Prices {
		if p.Meter == meter && c.inGroup(p.Regions, region) {
			return true
		}
	}
	return false
}

// allowance returns the free allowance covering meter on day, and its index.
func (c *Catalog) allowance(meter, day string) (int, bool) {
	for i, a := range c.FreeTier {
		if !slices.Contains(a.Meters, meter) {
			continue
		}
		if day == "" && a.EffectiveTo == "" || day != "" && a.EffectiveFrom <= day && (a.EffectiveTo == "" || day < a.EffectiveTo) {
			return i, true
		}
	}
	return 0, false
}
