// Package pricing holds faasight's price catalogs (versioned data files,
// one per provider product, every price with its region group, the dates it
// applied and its source) and the exact arithmetic that turns billed usage
// into money: the providers' billing rules (model.go), list and effective
// billing with monthly tiers and free tiers (bill.go). It knows nothing of
// ClickHouse: analysis measures the usage, pricing prices it.
package pricing

import (
	"strings"

	"github.com/shopspring/decimal"
)

// Cost is the list price of a Usage. Amounts are exact decimals; callers
// convert to float only when they present a result.
type Cost struct {
	// GBSeconds is the usage as measured (billed ms × configured MB),
	// before any provider rounding of memory.
	GBSeconds decimal.Decimal
	Request   decimal.Decimal
	// Compute is everything but requests: duration, INIT, provisioned
	// concurrency, storage. Lines has them apart.
	Compute decimal.Decimal
	Total   decimal.Decimal
	Lines   []LineItem
	// Note says why something is not priced, or what was assumed.
	Note string
}

// Price prices u at list prices (BillingList: first tier, no free tier) in
// effect at u.At, or the newest prices when u.At is zero. Usage the catalog
// has no price for costs zero and says so in Note — it is not an error,
// because one unpriced function must not hide the others' costs. The error
// is for a catalog whose prices do not parse, which only a catalog built in
// code without Validate can have.
func (c *Catalog) Price(u Usage) (Cost, error) {
	cost := Cost{GBSeconds: gbSeconds(u.BilledDurationMs, u.MemoryMB)}
	st := monthState{volume: map[string]decimal.Decimal{}, freeUsed: map[string]decimal.Decimal{}}
	lines := map[string]*LineItem{}
	notes := map[string]bool{}
	if _, err := c.priceUsage(BillingList, u, &st, lines, notes, true); err != nil {
		return Cost{}, err
	}
	b := Bill{}
	for _, l := range lines {
		b.Lines = append(b.Lines, *l)
	}
	for _, l := range b.Lines {
		if l.Line == LineRequests {
			cost.Request = cost.Request.Add(l.Amount)
		} else {
			cost.Compute = cost.Compute.Add(l.Amount)
		}
		cost.Total = cost.Total.Add(l.Amount)
	}
	cost.Lines = sortLines(b.Lines)
	cost.Note = strings.Join(sortedKeys(notes), "; ")
	return cost, nil
}
