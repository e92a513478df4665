package analysis

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/faasight/faasight/analysis/pricing"
)

// RightsizingReport is GET /api/v1/reports/rightsizing: per function
// configuration, what memory size and architecture would cost less, and
// how much a month.
type RightsizingReport struct {
	Currency string    `json:"currency"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Billing  string    `json:"billing"`
	// MonthlyFactor is 30 days / the window's length: a window's cost
	// times it is the monthly estimate.
	MonthlyFactor float64           `json:"monthly_factor"`
	Catalogs      []CatalogRef      `json:"catalogs"`
	Items         []RightsizingItem `json:"items"`
	// Rules and caveats the recommendations follow.
	Assumptions []string `json:"assumptions"`
}

// RightsizingItem is one (function, provider, region, architecture,
// memory) combination: what it used, what it cost, what to change.
type RightsizingItem struct {
	Function     string `json:"function"`
	Provider     string `json:"provider"`
	Region       string `json:"region"`
	Architecture string `json:"architecture"`
	MemoryMB     uint32 `json:"memory_mb"`
	// Invocations is the data the item stands on; MemorySamples how many of
	// them reported max_memory_used_mb.
	Invocations   uint64 `json:"invocations"`
	MemorySamples uint64 `json:"memory_samples"`
	// MemoryUsedP99MB and MemoryUsedMaxMB: nearest-rank p99 and maximum of
	// the peak memory of each invocation; 0 when none reported it.
	MemoryUsedP99MB uint32 `json:"memory_used_p99_mb"`
	MemoryUsedMaxMB uint32 `json:"memory_used_max_mb"`
	// Catalog prices the item; empty when no catalog covers its provider.
	Catalog        string  `json:"catalog,omitempty"`
	WindowCostUSD  float64 `json:"window_cost_usd"`
	MonthlyCostUSD float64 `json:"monthly_cost_usd"`
	// Memory is the memory-size recommendation; nil without memory data.
	Memory *MemoryRecommendation `json:"memory,omitempty"`
	// ArchitectureSwitch is the x86_64→arm64 switch; nil when it does not
	// apply (already arm64, or a provider without the choice).
	ArchitectureSwitch *ArchitectureRecommendation `json:"architecture_switch,omitempty"`
	Notes              []string                    `json:"notes"`
}

// MemoryRecommendation is a memory size with headroom and what it would
// save a month; a negative saving is the cost of growing an undersized
// function.
type MemoryRecommendation struct {
	RecommendedMB    uint32  `json:"recommended_mb"`
	MonthlyCostUSD   float64 `json:"monthly_cost_usd"`
	MonthlySavingUSD float64 `json:"monthly_saving_usd"`
}

// ArchitectureRecommendation is the same function on another architecture.
type ArchitectureRecommendation struct {
	From             string  `json:"from"`
	To               string  `json:"to"`
	MonthlyCostUSD   float64 `json:"monthly_cost_usd"`
	MonthlySavingUSD float64 `json:"monthly_saving_usd"`
}

// Right-sizing rule: p99 of the peak memory × (1 + headroom), rounded up to
// the provider's memory step, at least minRecommendedMB.
const (
	headroomPercent  = 20
	minRecommendedMB = 128
	// monthDays is the month the monthly estimates are scaled to.
	monthDays = 30
)

// memoryRule is how one provider's memory sizes can be chosen.
type memoryRule struct {
	catalog string
	// stepMB: sizes are multiples of it; sizes, when set, are the only ones.
	stepMB, maxMB uint32
	sizes         []uint32
	// archSwitch: the provider prices arm64 apart (Lambda).
	archSwitch bool
}

// memoryRules by provider. Lambda memory is set in 1 MB steps from 128 MB
// to 10,240 MB (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html);
// Google sizes are the ones its catalog lists a vCPU for. Azure
// Consumption and Cloudflare Workers have no memory size to choose.
var memoryRules = map[string]memoryRule{
	"aws": {catalog: "aws-lambda", stepMB: 1, maxMB: 10240, archSwitch: true},
	"gcp": {catalog: "gcp-functions-gen2"},
}

// recommend is the memory size for a p99 peak: p99 × 1.2 rounded up to the
// rule's step (or the next listed size), at least minRecommendedMB and at
// most the largest size. Integers only: ceil(p99 × 12 / 10).
func (m memoryRule) recommend(p99 uint32) uint32 {
	want := uint32((uint64(p99)*(100+headroomPercent) + 99) / 100)
	want = max(want, minRecommendedMB)
	if len(m.sizes) > 0 {
		for _, s := range m.sizes {
			if s >= want {
				return s
			}
		}
		return m.sizes[len(m.sizes)-1]
	}
	step := max(m.stepMB, 1)
	want = (want + step - 1) / step * step
	if m.maxMB > 0 {
		want = min(want, m.maxMB)
	}
	return want
}

// Rightsizing recommends, per configuration seen in r, a memory size from
// the observed peak memory and the x86_64→arm64 switch, each with its
// estimated monthly saving at list prices.
func (s *Reports) Rightsizing(ctx context.Context, r Range) (RightsizingReport, error) {
	rep := RightsizingReport{Currency: "USD", From: r.From.UTC(), To: r.To.UTC(), Billing: "list",
		Catalogs: []CatalogRef{}, Items: []RightsizingItem{}, Assumptions: []string{}}
	if err := checkRange(r); err != nil {
		return rep, err
	}
	all, err := s.catalogs()
	if err != nil {
		return rep, err
	}
	rules := map[string]memoryRule{}
	var stepped *pricing.Catalog // the one catalog whose rounding the query applies besides Lambda's
	for _, provider := range sortedProviders() {
		m := memoryRules[provider]
		c, ok := all[m.catalog]
		if !ok {
			return rep, fmt.Errorf("analysis: rightsizing: no catalog %q", m.catalog)
		}
		if provider == "gcp" {
			m.sizes = pricingSizes(c)
			stepped = c
		}
		rules[provider] = m
		rep.Catalogs = append(rep.Catalogs, CatalogRef{Name: c.Name, EffectiveDate: c.EffectiveDate, Source: c.Source})
	}
	factor := decimal.NewFromInt(monthDays * 24 * int64(time.Hour)).Div(decimal.NewFromInt(int64(r.To.Sub(r.From))))
	rep.MonthlyFactor = factor.InexactFloat64()

	args := append(ruleOf(stepped).args(), windowArgs(r)...)
	rows, err := s.conn.Query(ctx, s.sql["rightsizing"], args...)
	if err != nil {
		return rep, s.classify(ctx, "rightsizing", err)
	}
	defer rows.Close()
	type observed struct {
		item            RightsizingItem
		billed, stepped uint64
	}
	var obs []observed
	for rows.Next() {
		var o observed
		it := &o.item
		if err := rows.Scan(&it.Function, &it.Provider, &it.Region, &it.Architecture, &it.MemoryMB,
			&it.Invocations, &it.MemorySamples, &it.MemoryUsedP99MB, &it.MemoryUsedMaxMB, &o.billed, &o.stepped); err != nil {
			return rep, scanFailed("rightsizing", err)
		}
		obs = append(obs, o)
	}
	if err := rows.Err(); err != nil {
		return rep, s.classify(ctx, "rightsizing", err)
	}
	rows.Close()

	monthly := func(d decimal.Decimal) float64 { return d.Mul(factor).InexactFloat64() }
	for _, o := range obs {
		it := o.item
		it.Notes = []string{}
		m, ok := rules[it.Provider]
		if !ok {
			it.Notes = append(it.Notes, fmt.Sprintf("no recommendation for provider %s: it has no memory size or architecture to choose, or faasight has no catalog for it", orUnknownProvider(it.Provider)))
			rep.Items = append(rep.Items, it)
			continue
		}
		c := all[m.catalog]
		it.Catalog = c.Name
		billed := o.billed
		if m.catalog == stepped.Name {
			billed = o.stepped
		}
		arch := it.Architecture
		if arch == "" && m.archSwitch {
			arch = pricing.DefaultArchitecture
		}
		price := func(memory uint32, arch string) (decimal.Decimal, string, error) {
			cost, err := c.Price(pricing.Usage{Provider: it.Provider, Region: it.Region, Architecture: arch,
				MemoryMB: memory, Invocations: it.Invocations, BilledDurationMs: billed})
			if err != nil {
				return decimal.Zero, "", fmt.Errorf("analysis: rightsizing: %w", err)
			}
			return cost.Total, cost.Note, nil
		}
		now, note, err := price(it.MemoryMB, arch)
		if err != nil {
			return rep, err
		}
		if note != "" {
			it.Notes = append(it.Notes, note)
		}
		it.WindowCostUSD = now.InexactFloat64()
		it.MonthlyCostUSD = monthly(now)

		switch {
		case it.MemorySamples == 0:
			it.Notes = append(it.Notes, "no max_memory_used_mb reported: no memory recommendation")
		case it.MemoryMB == 0:
			it.Notes = append(it.Notes, "configured memory unknown: no memory recommendation")
		default:
			rec := m.recommend(it.MemoryUsedP99MB)
			cost, _, err := price(rec, arch)
			if err != nil {
				return rep, err
			}
			it.Memory = &MemoryRecommendation{RecommendedMB: rec, MonthlyCostUSD: monthly(cost), MonthlySavingUSD: monthly(now.Sub(cost))}
			switch {
			case rec == it.MemoryMB:
				it.Notes = append(it.Notes, "the configured memory already fits the rule")
			case rec > it.MemoryMB:
				it.Notes = append(it.Notes, fmt.Sprintf("p99 memory %d MB leaves less than %d%% headroom in %d MB: the recommendation grows it", it.MemoryUsedP99MB, headroomPercent, it.MemoryMB))
			}
			if it.MemoryUsedMaxMB > rec {
				it.Notes = append(it.Notes, fmt.Sprintf("the maximum used, %d MB, exceeds the recommended %d MB: the largest invocations would run out of memory", it.MemoryUsedMaxMB, rec))
			}
			if m.archSwitch {
				it.Notes = append(it.Notes, "Lambda CPU scales with memory: a smaller size may run longer, which the saving does not include")
			}
		}
		if m.archSwitch && arch == "x86_64" {
			cost, _, err := price(it.MemoryMB, "arm64")
			if err != nil {
				return rep, err
			}
			it.ArchitectureSwitch = &ArchitectureRecommendation{From: "x86_64", To: "arm64", MonthlyCostUSD: monthly(cost), MonthlySavingUSD: monthly(now.Sub(cost))}
			if it.Architecture == "" {
				it.Notes = append(it.Notes, "architecture unknown, taken as x86_64 (Lambda's default)")
			}
		}
		rep.Items = append(rep.Items, it)
	}
	slices.SortStableFunc(rep.Items, func(a, b RightsizingItem) int {
		return cmp.Or(cmp.Compare(a.Function, b.Function), cmp.Compare(a.Architecture, b.Architecture),
			cmp.Compare(a.MemoryMB, b.MemoryMB), cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Region, b.Region))
	})
	rep.Assumptions = []string{
		fmt.Sprintf("Recommended memory: the p99 of max_memory_used_mb × %d.%d, rounded up to the provider's memory step (AWS Lambda 1 MB up to 10,240 MB; Google: the next size its catalog lists), at least %d MB.",
			(100+headroomPercent)/100, (100+headroomPercent)%100/10, minRecommendedMB),
		"Lambda CPU scales with memory: a smaller size gets less CPU and a CPU-bound function may run longer, a larger one shorter. Savings assume the observed durations stay the same; measure after a change.",
		"The arm64 saving assumes the same durations on arm64 (Graviton); check the code and its dependencies build and run there.",
		fmt.Sprintf("Monthly figures are the window's list cost × 30 days / the window's length (× %s): every unit at the first-tier price, without free tiers; a short or unusual window extrapolates poorly.", factor.Round(4).String()),
		"Costs use each catalog's newest prices; billed durations are as in the cost report (Lambda: the reported billed duration, else duration plus INIT rounded up to 1 ms; Google: rounded up to 100 ms per invocation).",
		"Google Cloud functions are priced as Cloud Run functions (2nd gen). Functions without max_memory_used_mb get only the architecture switch; Azure Consumption and Cloudflare Workers have no memory size to choose.",
	}
	return rep, nil
}

// sortedProviders is memoryRules' keys in order, so that the report's
// catalogs list is stable.
func sortedProviders() []string {
	out := make([]string, 0, len(memoryRules))
	for p := range memoryRules {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// pricingSizes are the memory sizes a catalog lists a CPU for, ascending.
func pricingSizes(c *pricing.Catalog) []uint32 {
	out := make([]uint32, 0, len(c.Rules.CPUByMemory))
	for mb := range c.Rules.CPUByMemory {
		out = append(out, mb)
	}
	slices.Sort(out)
	return out
}

func orUnknownProvider(p string) string {
	if p == "" {
		return "(unknown)"
	}
	return p
}
