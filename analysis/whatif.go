package analysis

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/faasight/faasight/analysis/pricing"
)

// CompareReport is GET /api/v1/reports/cost/compare: the window's observed
// workload priced on every catalog, side by side, at list prices.
type CompareReport struct {
	Currency string    `json:"currency"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	// Function is the function the report is limited to; empty: all.
	Function string `json:"function,omitempty"`
	Billing  string `json:"billing"`
	// Scenarios are the columns, in the order every item's Costs has them.
	Scenarios []CompareScenario `json:"scenarios"`
	Items     []CompareItem     `json:"items"`
	// Assumptions say how the workload was carried over to each provider.
	Assumptions []string `json:"assumptions"`
}

// CompareScenario is one catalog (and, for Lambda, one architecture) the
// workload is priced on, with the total over all items.
type CompareScenario struct {
	Key          string     `json:"key"`
	Catalog      CatalogRef `json:"catalog"`
	Provider     string     `json:"provider"`
	Product      string     `json:"product"`
	Architecture string     `json:"architecture,omitempty"`
	// DurationStepMs and MinDurationMs are the per-invocation rounding
	// the scenario's billed durations were computed with.
	DurationStepMs uint64  `json:"duration_step_ms"`
	MinDurationMs  uint64  `json:"min_duration_ms"`
	TotalUSD       float64 `json:"total_usd"`
	// Notes collects what the pricing engine assumed or left unpriced for
	// any item, each once.
	Notes []string `json:"notes"`
}

// CompareItem is one observed (function, provider, region, architecture,
// memory) combination and its price in every scenario.
type CompareItem struct {
	Function        string `json:"function"`
	Provider        string `json:"provider"`
	Region          string `json:"region"`
	Architecture    string `json:"architecture"`
	MemoryMB        uint32 `json:"memory_mb"`
	MaxMemoryUsedMB uint32 `json:"max_memory_used_mb"`
	Invocations     uint64 `json:"invocations"`
	// Costs has one entry per scenario, in CompareReport.Scenarios order.
	Costs []ScenarioCost `json:"costs"`
}

// ScenarioCost is an item priced in one scenario.
type ScenarioCost struct {
	Scenario string `json:"scenario"`
	// Region is where the scenario prices the item (see the assumptions).
	Region string `json:"region"`
	// MemoryMB is the memory the item is billed for: the configured size,
	// or on Azure the size the provider rounds to (see the assumptions).
	MemoryMB         uint32  `json:"memory_mb"`
	BilledDurationMs uint64  `json:"billed_duration_ms"`
	RequestUSD       float64 `json:"request_usd"`
	ComputeUSD       float64 `json:"compute_usd"`
	TotalUSD         float64 `json:"total_usd"`
	Note             string  `json:"note,omitempty"`
}

// compareScenario is a column of the what-if: a catalog by name and, for
// catalogs that price by architecture, the architecture to price.
type compareScenario struct {
	catalog, arch string
}

// compareScenarios are the columns of the what-if, in order.
var compareScenarios = []compareScenario{
	{"aws-lambda", "x86_64"},
	{"aws-lambda", "arm64"},
	{"gcp-functions-gen2", ""},
	{"gcp-functions-gen1", ""},
	{"azure-functions-consumption", ""},
	{"azure-functions-flex", ""},
	{"cloudflare-workers-standard", ""},
}

func (sc compareScenario) key() string {
	if sc.arch == "" {
		return sc.catalog
	}
	return sc.catalog + "/" + sc.arch
}

// roundingRule is how one provider turns a run into billed milliseconds.
type roundingRule struct{ stepMs, minMs uint64 }

// compareRules is how many rounding rules queries/compare.sql takes.
const compareRules = 4

func ruleOf(c *pricing.Catalog) roundingRule {
	return roundingRule{stepMs: max(c.Rules.DurationStepMs, 1), minMs: c.Rules.MinDurationMs}
}

// args are a rule's placeholders: step in ns (twice), step in ms, minimum
// in ms.
func (r roundingRule) args() []any {
	return []any{r.stepMs * 1_000_000, r.stepMs * 1_000_000, r.stepMs, r.minMs}
}

// catalogs returns the embedded catalogs by name, with the Reports' own
// catalog in place of the embedded one of its name (it may have been
// loaded from an operator's directory).
func (s *Reports) catalogs() (map[string]*pricing.Catalog, error) {
	all, err := pricing.Catalogs()
	if err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	all[s.catalog.Name] = s.catalog
	return all, nil
}

// referenceRegion is where a catalog prices a workload from elsewhere: the
// first region of the group its first price applies to (us-east-1,
// us-central1, eastus); "global" for a provider priced the same anywhere.
func referenceRegion(c *pricing.Catalog) string {
	if len(c.Prices) == 0 {
		return ""
	}
	regions := c.RegionGroups[c.Prices[0].Regions]
	if len(regions) == 0 {
		return ""
	}
	if regions[0] == pricing.AnyRegion {
		return "global"
	}
	return regions[0]
}

// listsRegion reports whether any of c's region groups holds region.
func listsRegion(c *pricing.Catalog, region string) bool {
	for _, regions := range c.RegionGroups {
		if slices.Contains(regions, region) || slices.Contains(regions, pricing.AnyRegion) {
			return true
		}
	}
	return false
}

// itemKey is what a CompareItem is grouped by.
type itemKey struct {
	function, provider, region, architecture string
	memoryMB                                 uint32
}

func (it CompareItem) key() itemKey {
	return itemKey{it.Function, it.Provider, it.Region, it.Architecture, it.MemoryMB}
}

func (g grain) item() itemKey { return itemKey{g.function, g.provider, g.region, g.arch, g.memoryMB} }

// activity is a duration as billed by instance activity periods.
type activity struct{ billedMs, periods uint64 }

// activityPeriods folds every invocation in r (of function, or all) into
// instance activity periods for each catalog in cats that bills them
// (rules.activity_periods), per cost grain: what each catalog bills, one
// activity per catalog. An invocation without an instance id is an
// instance of its own. A period is cut where the grain changes (at
// midnight UTC, say), which can bill a minimum more than the provider.
func (s *Reports) activityPeriods(ctx context.Context, r Range, function string, cats []*pricing.Catalog) (map[grain][]activity, error) {
	out := map[grain][]activity{}
	rows, err := s.conn.Query(ctx, s.sql["activity"], append(windowArgs(r), function, function)...)
	if err != nil {
		return nil, s.classify(ctx, "activity", err)
	}
	defer rows.Close()
	var (
		starts, ends []uint64
		execs        []pricing.Execution
	)
	for rows.Next() {
		var g grain
		var day uint64
		var instance string
		if err := rows.Scan(&g.account, &day, &g.provider, &g.region, &g.arch, &g.memoryMB, &g.runtime, &g.function,
			&g.version, &g.trigger, &instance, &starts, &ends); err != nil {
			return nil, scanFailed("activity", err)
		}
		g.day = int64(day)
		execs = execs[:0]
		for i := range min(len(starts), len(ends)) {
			execs = append(execs, pricing.Execution{StartNs: starts[i], EndNs: ends[i]})
		}
		acts := out[g]
		if acts == nil {
			acts = make([]activity, len(cats))
			out[g] = acts
		}
		for i, c := range cats {
			if instance != "" {
				ms, n := c.ActivityBilledMs(execs)
				acts[i].billedMs += ms
				acts[i].periods += n
				continue
			}
			for j := range execs {
				ms, n := c.ActivityBilledMs(execs[j : j+1])
				acts[i].billedMs += ms
				acts[i].periods += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(ctx, "activity", err)
	}
	return out, nil
}

// Compare prices the workload observed in r (one function, or all when
// function is empty) on every catalog in compareScenarios at list prices.
// An unknown function is ErrUnknownFunction; a known one without
// invocations in r is an empty report.
func (s *Reports) Compare(ctx context.Context, r Range, function string) (CompareReport, error) {
	rep := CompareReport{Currency: "USD", From: r.From.UTC(), To: r.To.UTC(), Function: function,
		Billing: "list", Scenarios: []CompareScenario{}, Items: []CompareItem{}, Assumptions: []string{}}
	if err := checkRange(r); err != nil {
		return rep, err
	}
	all, err := s.catalogs()
	if err != nil {
		return rep, err
	}
	cats := make([]*pricing.Catalog, len(compareScenarios))
	var rules []roundingRule
	ruleIndex := make([]int, len(compareScenarios))
	for i, sc := range compareScenarios {
		c, ok := all[sc.catalog]
		if !ok {
			return rep, fmt.Errorf("analysis: compare: no catalog %q", sc.catalog)
		}
		if c.Currency != rep.Currency {
			return rep, fmt.Errorf("analysis: compare: catalog %s is in %s, the what-if adds up %s", c.Name, c.Currency, rep.Currency)
		}
		cats[i] = c
		rule := ruleOf(c)
		j := slices.Index(rules, rule)
		if j < 0 {
			j = len(rules)
			rules = append(rules, rule)
		}
		ruleIndex[i] = j
		rep.Scenarios = append(rep.Scenarios, CompareScenario{
			Key: sc.key(), Catalog: CatalogRef{Name: c.Name, EffectiveDate: c.EffectiveDate, Source: c.Source},
			Provider: c.Provider, Product: c.Product, Architecture: sc.arch,
			DurationStepMs: rule.stepMs, MinDurationMs: rule.minMs, Notes: []string{},
		})
	}
	if len(rules) > compareRules {
		return rep, fmt.Errorf("analysis: compare: the catalogs have %d rounding rules, compare.sql takes %d", len(rules), compareRules)
	}
	var args []any
	for i := range compareRules {
		rule := roundingRule{stepMs: 1}
		if i < len(rules) {
			rule = rules[i]
		}
		args = append(args, rule.args()...)
	}
	args = append(append(args, windowArgs(r)...), function, function)

	type observed struct {
		item   CompareItem
		billed [compareRules]uint64
	}
	var obs []observed
	rows, err := s.conn.Query(ctx, s.sql["compare"], args...)
	if err != nil {
		return rep, s.classify(ctx, "compare", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o observed
		it := &o.item
		if err := rows.Scan(&it.Function, &it.Provider, &it.Region, &it.Architecture, &it.MemoryMB,
			&it.Invocations, &it.MaxMemoryUsedMB, &o.billed[0], &o.billed[1], &o.billed[2], &o.billed[3]); err != nil {
			return rep, scanFailed("compare", err)
		}
		obs = append(obs, o)
	}
	if err := rows.Err(); err != nil {
		return rep, s.classify(ctx, "compare", err)
	}
	rows.Close()
	if len(obs) == 0 && function != "" {
		if err := s.known(ctx, r.Tenant, function); err != nil {
			return rep, err
		}
	}

	var periodic []*pricing.Catalog
	periodicIndex := make([]int, len(cats))
	for i, c := range cats {
		periodicIndex[i] = -1
		if c.Rules.ActivityPeriods {
			periodicIndex[i] = len(periodic)
			periodic = append(periodic, c)
		}
	}
	acts := map[itemKey][]activity{}
	if len(periodic) > 0 && len(obs) > 0 {
		byGrain, err := s.activityPeriods(ctx, r, function, periodic)
		if err != nil {
			return rep, err
		}
		for g, a := range byGrain {
			sum := acts[g.item()]
			if sum == nil {
				sum = make([]activity, len(periodic))
				acts[g.item()] = sum
			}
			for j := range a {
				sum[j].billedMs += a[j].billedMs
				sum[j].periods += a[j].periods
			}
		}
	}

	totals := make([]decimal.Decimal, len(cats))
	notes := make([]map[string]bool, len(cats))
	for i := range notes {
		notes[i] = map[string]bool{}
	}
	for _, o := range obs {
		it := o.item
		it.Costs = make([]ScenarioCost, len(cats))
		for i, c := range cats {
			sc := compareScenarios[i]
			u := pricing.Usage{Provider: c.Provider, Architecture: sc.arch, MemoryMB: it.MemoryMB,
				Invocations: it.Invocations, BilledDurationMs: o.billed[ruleIndex[i]]}
			if j := periodicIndex[i]; j >= 0 {
				if a := acts[it.key()]; a != nil {
					u.BilledDurationMs, u.ActivePeriods = a[j].billedMs, a[j].periods
				}
			}
			u.Region = referenceRegion(c)
			if it.Provider == c.Provider && listsRegion(c, it.Region) {
				u.Region = it.Region
			}
			if c.Rules.MemoryStepMB > 0 && it.MaxMemoryUsedMB > 0 {
				// Azure Consumption bills the memory an execution used, not
				// a configured size; the highest observed is an upper bound.
				u.MemoryMB = it.MaxMemoryUsedMB
			}
			cost, err := c.Price(u)
			if err != nil {
				return rep, fmt.Errorf("analysis: compare: %w", err)
			}
			it.Costs[i] = ScenarioCost{Scenario: sc.key(), Region: u.Region, MemoryMB: c.BilledMemoryMB(u.MemoryMB),
				BilledDurationMs: u.BilledDurationMs, RequestUSD: cost.Request.InexactFloat64(),
				ComputeUSD: cost.Compute.InexactFloat64(), TotalUSD: cost.Total.InexactFloat64(), Note: cost.Note}
			totals[i] = totals[i].Add(cost.Total)
			for n := range strings.SplitSeq(cost.Note, "; ") {
				if n != "" {
					notes[i][n] = true
				}
			}
		}
		rep.Items = append(rep.Items, it)
	}
	for i := range rep.Scenarios {
		rep.Scenarios[i].TotalUSD = totals[i].InexactFloat64()
		for n := range notes[i] {
			rep.Scenarios[i].Notes = append(rep.Scenarios[i].Notes, n)
		}
		slices.Sort(rep.Scenarios[i].Notes)
	}
	slices.SortStableFunc(rep.Items, func(a, b CompareItem) int {
		return cmp.Or(cmp.Compare(a.Function, b.Function), cmp.Compare(a.Architecture, b.Architecture),
			cmp.Compare(a.MemoryMB, b.MemoryMB), cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Region, b.Region))
	})
	rep.Assumptions = compareAssumptions(cats)
	return rep, nil
}

// compareAssumptions states how the observed workload becomes each
// provider's usage; the rounding and regions are read from the catalogs.
func compareAssumptions(cats []*pricing.Catalog) []string {
	var rounding, regions, sizes []string
	seen := map[string]bool{}
	for _, c := range cats {
		if seen[c.Name] {
			continue
		}
		seen[c.Name] = true
		r := ruleOf(c)
		s := fmt.Sprintf("%s %d ms", c.Name, r.stepMs)
		if r.minMs > 0 {
			s += fmt.Sprintf(" (at least %d ms)", r.minMs)
		}
		rounding = append(rounding, s)
		regions = append(regions, fmt.Sprintf("%s %s", c.Name, referenceRegion(c)))
		if mb := c.Rules.MemorySizesMB; len(mb) > 0 {
			sizes = append(sizes, fmt.Sprintf("%s bills only the instance memory sizes %s MB: priced at the smallest at or above the configured memory (the largest above them all).",
				c.Name, pricing.JoinSizes(mb)))
		}
	}
	return append([]string{
		"Billing is list: every unit at the first-tier price, without free tiers or included amounts, and without Cloudflare's monthly subscription.",
		"Prices are each catalog's newest (its effective_date), not those in effect during the window.",
		"Billed duration is recomputed for every invocation from its measured duration plus, on a cold start, its INIT phase, rounded up to each provider's billing step and minimum: " +
			strings.Join(rounding, ", ") + ". A billed duration reported by the provider is not used, so that every catalog is priced from the same data.",
		"Durations are assumed the same on every provider and architecture; startup (INIT) is billed like execution time everywhere.",
		"Memory is the configured size on every provider. Google Cloud 2nd gen vCPU is the default for that size (the next listed size up) and 1st gen GHz likewise; Lambda CPU grows with memory, so other providers' CPU may differ from what the function had.",
		"Azure Consumption bills the memory an execution used, rounded up to 128 MB: priced at the highest max_memory_used_mb observed (an upper bound), or the configured size when none was reported.",
		"Cloudflare Workers bill CPU time: assumed equal to the wall duration when not measured, an upper bound (time waiting on I/O is free); memory is not billed.",
		"A function on a catalog's own provider is priced in its own region when the catalog lists it, otherwise in the catalog's reference region: " + strings.Join(regions, ", ") + ".",
		"Lambda scenarios price every function on the named architecture; the other catalogs do not price by architecture.",
		"Concurrency does not enter these list prices (request-based billing); provisioned concurrency, minimum instances and always-ready capacity are not modelled.",
		"Azure Flex Consumption bills instance activity periods (at least 1 s, then 100 ms steps), not executions: each observed instance (faas.instance) stands for a Flex instance running one execution at a time, as on Lambda, and an execution that starts while its instance's billed period is still running joins that period; an invocation without an instance id is billed as a period of its own. Flex packs concurrent HTTP requests onto one instance, so a busy function may cost less there than shown.",
	}, sizes...)
}
