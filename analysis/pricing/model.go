package pricing

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Line is a kind of charge on a bill.
type Line string

// The lines a bill has, in the order a bill lists them.
const (
	LineRequests     Line = "requests"
	LineCompute      Line = "compute"
	LineInit         Line = "init"
	LineProvisioned  Line = "provisioned_concurrency"
	LineStorage      Line = "storage"
	LineSubscription Line = "subscription"
	LineFreeTier     Line = "free_tier_credit"
)

var lineOrder = []Line{LineRequests, LineCompute, LineInit, LineProvisioned, LineStorage, LineSubscription, LineFreeTier}

// Usage is what one (function, region, architecture, memory) consumed.
// The first six fields are all the AWS list price needs; the rest refine it
// and may be left zero.
type Usage struct {
	Provider     string
	Region       string
	Architecture string
	MemoryMB     uint32
	Invocations  uint64
	// BilledDurationMs is the sum of the invocations' billed durations,
	// each already rounded by the provider's rule (Catalog.BilledDurationMs),
	// INIT included where it was measured.
	BilledDurationMs uint64

	// At is when the usage happened; it picks the prices in effect. Zero
	// means the newest prices (and, in Bill, the period's month).
	At time.Time
	// InitMs is the part of BilledDurationMs spent in INIT phases.
	InitMs uint64
	// OwnRuntime: a custom runtime (provided.*) or container image, whose
	// INIT Lambda billed even before 2025-08-01.
	OwnRuntime bool
	// ProvisionedConcurrencyMs is Σ configured concurrency × the time it
	// was configured, in ms (Lambda rounds each period up to 5 minutes).
	// For Azure Flex Consumption it is Σ always-ready instances × the
	// time they were configured (the always-ready baseline).
	ProvisionedConcurrencyMs uint64
	// ProvisionedDurationMs is the part of BilledDurationMs that ran on
	// provisioned concurrency (Azure Flex: on always-ready instances),
	// billed at its own duration price.
	ProvisionedDurationMs uint64
	// SnapStartCacheMs is Σ over published SnapStart versions of the time
	// their snapshot was cached, in ms (Lambda).
	SnapStartCacheMs uint64
	// SnapStartRestores is how many execution environments Lambda
	// resumed from a SnapStart snapshot.
	SnapStartRestores uint64
	// EphemeralStorageMB is the configured /tmp size (Lambda).
	EphemeralStorageMB uint32
	// VCPUMilli is the configured vCPU × 1000 (Cloud Run functions); zero
	// takes the catalog's default for the memory size.
	VCPUMilli uint32
	// CPUMs is the CPU time (Cloudflare Workers); zero assumes the wall
	// duration, which can only overstate it.
	CPUMs uint64
	// ActivePeriods is how many instance activity periods
	// BilledDurationMs is made of, for a catalog that bills them
	// (rules.activity_periods, Azure Flex; Catalog.ActivityBilledMs). Zero
	// means unknown: every execution is taken as a period of its own, an
	// upper bound.
	ActivePeriods uint64
}

// quantity is an amount of one meter, on one line of the bill.
type quantity struct {
	line   Line
	meter  string
	amount decimal.Decimal
}

// model is a provider product's billing rules in code: the meters it has
// and how usage becomes amounts of them. Notes say what was assumed or
// left unpriced.
type model struct {
	meters []string
	// monthly is a meter charged once per account and month with any
	// usage (a subscription), in effective billing only.
	monthly     string
	defaultArch string
	quantities  func(c *Catalog, u Usage, day string) ([]quantity, []string)
}

// models are the billing rules a catalog's model may name.
var models = map[string]model{
	"aws-lambda": {
		meters: []string{"requests", "duration.x86_64", "duration.arm64",
			"provisioned.x86_64", "provisioned.arm64", "provisioned_duration.x86_64", "provisioned_duration.arm64",
			"ephemeral_storage", "snapstart_cache", "snapstart_restore"},
		defaultArch: DefaultArchitecture,
		quantities:  awsLambda,
	},
	"google-cloud-run-request": {
		meters:     []string{"requests", "cpu", "memory"},
		quantities: cloudRunRequest,
	},
	"google-functions-gen1": {
		meters:     []string{"invocations", "memory", "cpu"},
		quantities: functionsGen1,
	},
	"azure-functions-consumption": {
		meters:     []string{"executions", "execution_time"},
		quantities: azureConsumption,
	},
	"azure-functions-flex": {
		meters:     []string{"executions", "execution_time", "always_ready_baseline", "always_ready_execution_time"},
		quantities: azureFlex,
	},
	"cloudflare-workers-standard": {
		meters:     []string{"requests", "cpu_ms", "subscription"},
		monthly:    "subscription",
		quantities: cloudflareStandard,
	},
}

// oneOver1024 is 1/1024 written out: it has ten decimal digits, so
// multiplying by it is exact, where decimal division would round at the
// package-global DivisionPrecision.
var oneOver1024 = decimal.RequireFromString("0.0009765625")

// gbSeconds is ms × MB / 1024 / 1000, exactly.
func gbSeconds(ms uint64, mb uint32) decimal.Decimal {
	return decimal.NewFromUint64(ms).Mul(decimal.NewFromUint64(uint64(mb))).Mul(oneOver1024).Shift(-3)
}

func count(n uint64) decimal.Decimal { return decimal.NewFromUint64(n) }

// awsLambda: requests; on-demand duration GB-s by architecture, with the
// INIT part on its own line (billed for managed runtimes only from
// rules.init_billed_from); provisioned concurrency (allocated GB-s and the
// duration that ran on it); ephemeral storage above the free 512 MB for
// the whole billed duration; SnapStart snapshot cache (GB-s of configured
// memory while cached, on the storage line) and restores (GB of configured
// memory restored, on the init line: a restore replaces an INIT).
func awsLambda(c *Catalog, u Usage, day string) ([]quantity, []string) {
	var notes []string
	q := []quantity{{LineRequests, "requests", count(u.Invocations)}}
	if u.MemoryMB == 0 {
		// Without the configured memory there are no GB-seconds to price;
		// guessing a size would invent money.
		return q, append(notes, "configured memory unknown (faas.max_memory), compute not priced")
	}
	arch := u.Architecture
	if !c.hasMeter("duration."+arch, u.Region) {
		return nil, []string{fmt.Sprintf("no %s price for architecture %s in %s", c.Name, arch, u.Region)}
	}
	onDemand := u.BilledDurationMs - min(u.ProvisionedDurationMs, u.BilledDurationMs)
	initMs := min(u.InitMs, onDemand)
	if initMs > 0 && !u.OwnRuntime && c.Rules.InitBilledFrom != "" && day != "" && day < c.Rules.InitBilledFrom {
		notes = append(notes, fmt.Sprintf("INIT of managed-runtime zip functions not billed before %s", c.Rules.InitBilledFrom))
		onDemand -= initMs
		initMs = 0
	}
	q = append(q,
		quantity{LineCompute, "duration." + arch, gbSeconds(onDemand-initMs, u.MemoryMB)},
		quantity{LineInit, "duration." + arch, gbSeconds(initMs, u.MemoryMB)})
	if u.ProvisionedConcurrencyMs > 0 || u.ProvisionedDurationMs > 0 {
		q = append(q,
			quantity{LineProvisioned, "provisioned." + arch, gbSeconds(u.ProvisionedConcurrencyMs, u.MemoryMB)},
			quantity{LineProvisioned, "provisioned_duration." + arch, gbSeconds(u.ProvisionedDurationMs, u.MemoryMB)})
	}
	if free := c.Rules.FreeEphemeralStorageMB; u.EphemeralStorageMB > free {
		q = append(q, quantity{LineStorage, "ephemeral_storage", gbSeconds(u.BilledDurationMs, u.EphemeralStorageMB-free)})
	}
	if u.SnapStartCacheMs > 0 {
		q = append(q, quantity{LineStorage, "snapstart_cache", gbSeconds(u.SnapStartCacheMs, u.MemoryMB)})
	}
	if u.SnapStartRestores > 0 {
		q = append(q, quantity{LineInit, "snapstart_restore", count(u.SnapStartRestores).Mul(count(uint64(u.MemoryMB))).Mul(oneOver1024)})
	}
	return q, notes
}

// cpuForMemory is the catalog's CPU for a memory size: the smallest listed
// size at or above it, as the providers round a size up to a tier.
func cpuForMemory(c *Catalog, mb uint32) (decimal.Decimal, bool) {
	for _, size := range sortedKeys(c.Rules.CPUByMemory) {
		if size >= mb {
			d, err := parsePrice(c.Rules.CPUByMemory[size])
			return d, err == nil
		}
	}
	return decimal.Zero, false
}

// cloudRunRequest: Cloud Run request-based billing (Cloud Run functions,
// Cloud Functions 2nd gen): requests, vCPU-seconds and GiB-seconds of the
// billed (100 ms-rounded) duration.
func cloudRunRequest(c *Catalog, u Usage, _ string) ([]quantity, []string) {
	q := []quantity{{LineRequests, "requests", count(u.Invocations)}}
	if u.MemoryMB == 0 {
		return q, []string{"configured memory unknown (faas.max_memory), compute not priced"}
	}
	var notes []string
	ms := max(u.BilledDurationMs, u.Invocations*c.Rules.MinDurationMs)
	vcpu := decimal.New(int64(u.VCPUMilli), -3)
	if u.VCPUMilli == 0 {
		d, ok := cpuForMemory(c, u.MemoryMB)
		if !ok {
			return q, append(notes, fmt.Sprintf("vCPU unknown and no default for %d MB, compute not priced", u.MemoryMB))
		}
		vcpu = d
		notes = append(notes, fmt.Sprintf("vCPU unknown, assumed %s (the default for %d MB)", d, u.MemoryMB))
	}
	return append(q,
		quantity{LineCompute, "cpu", count(ms).Shift(-3).Mul(vcpu)},
		quantity{LineCompute, "memory", gbSeconds(ms, u.MemoryMB)}), notes
}

// functionsGen1: invocations, GB-seconds and GHz-seconds, the GHz set by
// the memory size.
func functionsGen1(c *Catalog, u Usage, _ string) ([]quantity, []string) {
	q := []quantity{{LineRequests, "invocations", count(u.Invocations)}}
	if u.MemoryMB == 0 {
		return q, []string{"configured memory unknown (faas.max_memory), compute not priced"}
	}
	ghz, ok := cpuForMemory(c, u.MemoryMB)
	if !ok {
		return q, []string{fmt.Sprintf("no CPU clock for %d MB in %s, compute not priced", u.MemoryMB, c.Name)}
	}
	ms := max(u.BilledDurationMs, u.Invocations*c.Rules.MinDurationMs)
	return append(q,
		quantity{LineCompute, "memory", gbSeconds(ms, u.MemoryMB)},
		quantity{LineCompute, "cpu", count(ms).Shift(-3).Mul(ghz)}), nil
}

// azureConsumption: executions and GB-seconds of observed memory rounded
// up to 128 MB (clamped to 128–1536 MB), with a 100 ms minimum per
// execution. Usage.MemoryMB is read as the observed memory: Consumption
// bills what a function used, not a configured size.
func azureConsumption(c *Catalog, u Usage, _ string) ([]quantity, []string) {
	q := []quantity{{LineRequests, "executions", count(u.Invocations)}}
	if u.MemoryMB == 0 {
		return q, []string{"memory unknown, execution time not priced"}
	}
	// The minimum applies per execution; over an aggregate it is a floor.
	ms := max(u.BilledDurationMs, u.Invocations*c.Rules.MinDurationMs)
	return append(q, quantity{LineCompute, "execution_time", gbSeconds(ms, c.BilledMemoryMB(u.MemoryMB))}), nil
}

// BilledMemoryMB is the memory the catalog's provider bills for mb:
// rounded up to rules.memory_step_mb and clamped to rules.min_memory_mb and
// rules.max_memory_mb (Azure Consumption: 160 MB used bills 256 MB), or the
// next size up of rules.memory_sizes_mb (Azure Flex: 1024 MB is not an
// instance size, 2048 MB is), the largest when mb exceeds them all.
// Catalogs without such rules bill mb as it is.
func (c *Catalog) BilledMemoryMB(mb uint32) uint32 {
	if mb == 0 {
		return 0
	}
	if step := c.Rules.MemoryStepMB; step > 0 {
		mb = (mb + step - 1) / step * step
	}
	mb = max(mb, c.Rules.MinMemoryMB)
	if c.Rules.MaxMemoryMB > 0 {
		mb = min(mb, c.Rules.MaxMemoryMB)
	}
	if sizes := c.Rules.MemorySizesMB; len(sizes) > 0 {
		i, _ := slices.BinarySearch(sizes, mb)
		mb = sizes[min(i, len(sizes)-1)]
	}
	return mb
}

// azureFlex: Flex Consumption. Executions, and GB-seconds of the
// configured instance memory (Usage.MemoryMB) while an instance is active:
// on demand, or on always-ready instances (Usage.ProvisionedDurationMs) at
// their own price, plus the always-ready baseline
// (Usage.ProvisionedConcurrencyMs). Flex bills each instance activity
// period — at least rules.min_duration_ms (1,000 ms), then in
// rules.duration_step_ms (100 ms) steps — not each execution. Usage says
// how many periods its BilledDurationMs holds (Usage.ActivePeriods, from
// Catalog.ActivityBilledMs); without them every execution is its own
// period, which overstates a busy instance's bill, and the note says so.
func azureFlex(c *Catalog, u Usage, _ string) ([]quantity, []string) {
	q := []quantity{{LineRequests, "executions", count(u.Invocations)}}
	var notes []string
	periods := u.ActivePeriods
	if periods == 0 {
		periods = u.Invocations
		if u.Invocations > 0 {
			notes = append(notes, "instance activity periods unknown: every execution billed as its own period (at least 1 s), an upper bound when executions follow each other on an instance")
		}
	}
	if u.MemoryMB == 0 {
		return q, append(notes, "instance memory unknown, execution time not priced")
	}
	mb := c.BilledMemoryMB(u.MemoryMB)
	if mb != u.MemoryMB {
		notes = append(notes, fmt.Sprintf("%d MB is not an instance memory size (%s MB), priced as %d MB", u.MemoryMB, JoinSizes(c.Rules.MemorySizesMB), mb))
	}
	ms := max(u.BilledDurationMs, periods*c.Rules.MinDurationMs)
	alwaysReady := min(u.ProvisionedDurationMs, ms)
	q = append(q, quantity{LineCompute, "execution_time", gbSeconds(ms-alwaysReady, mb)})
	if u.ProvisionedConcurrencyMs > 0 || alwaysReady > 0 {
		notes = append(notes, "executions on always-ready instances counted with on-demand executions (same price); the free grant, on-demand only, may cover some of them")
		q = append(q,
			quantity{LineProvisioned, "always_ready_baseline", gbSeconds(u.ProvisionedConcurrencyMs, mb)},
			quantity{LineProvisioned, "always_ready_execution_time", gbSeconds(alwaysReady, mb)})
	}
	return q, notes
}

// Execution is one execution's time on an instance, in ns since the epoch.
type Execution struct{ StartNs, EndNs uint64 }

// ActivityBilledMs is what a catalog that bills instance activity periods
// (rules.activity_periods, Azure Flex) bills for one instance's
// executions, given in start order: the billed milliseconds and how many
// periods they are. A period opens with an execution and is billed for
// its length rounded up to rules.duration_step_ms, at least
// rules.min_duration_ms; an execution that starts before the open
// period's billed time is over joins it (the instance is being paid for
// already), any other opens a new one. So executions that follow each
// other closely bill as one continuously active instance, as in
// Microsoft's Flex Consumption cost examples, and sparse ones bill at
// least the minimum each.
func (c *Catalog) ActivityBilledMs(execs []Execution) (billedMs, periods uint64) {
	stepNs := max(c.Rules.DurationStepMs, 1) * 1_000_000
	minNs := c.Rules.MinDurationMs * 1_000_000
	billed := func(start, end uint64) uint64 {
		return max((end-start+stepNs-1)/stepNs*stepNs, minNs)
	}
	var start, end uint64
	for i, e := range execs {
		e.EndNs = max(e.EndNs, e.StartNs)
		if i > 0 && e.StartNs < start+billed(start, end) {
			end = max(end, e.EndNs)
			continue
		}
		if i > 0 {
			billedMs += billed(start, end) / 1_000_000
		}
		start, end = e.StartNs, e.EndNs
		periods++
	}
	if periods > 0 {
		billedMs += billed(start, end) / 1_000_000
	}
	return billedMs, periods
}

// cloudflareStandard: requests and CPU milliseconds beyond the amounts the
// monthly subscription includes.
func cloudflareStandard(_ *Catalog, u Usage, _ string) ([]quantity, []string) {
	var notes []string
	cpu := u.CPUMs
	if cpu == 0 && u.BilledDurationMs > 0 {
		cpu = u.BilledDurationMs
		notes = append(notes, "CPU time unknown, assumed equal to wall duration (an upper bound)")
	}
	return []quantity{
		{LineRequests, "requests", count(u.Invocations)},
		{LineCompute, "cpu_ms", count(cpu)},
	}, notes
}

// BilledDurationMs is the duration the catalog's provider bills for one
// invocation of durationNs: rounded up to rules.duration_step_ms (AWS 1 ms,
// Google 100 ms; a 260 ms Cloud Functions run bills 300 ms), at least
// rules.min_duration_ms (Azure 100 ms).
func (c *Catalog) BilledDurationMs(durationNs uint64) uint64 {
	step := max(c.Rules.DurationStepMs, 1)
	stepNs := step * 1_000_000
	ms := (durationNs + stepNs - 1) / stepNs * step
	return max(ms, c.Rules.MinDurationMs)
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

// JoinSizes writes sizes as "512, 2048, 4096".
func JoinSizes(ns []uint32) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
