package analysis

import (
	"cmp"
	"context"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/faasight/faasight/analysis/pricing"
)

// pricedItem keeps the exact total beside the float report item, so that
// sums over items are exact too and rounded only once.
type pricedItem struct {
	item  CostItem
	total decimal.Decimal
}

// Cost prices every (function, provider, region, architecture, memory)
// combination in r with the catalog. Items the catalog cannot price are
// listed with zero cost and a note rather than dropped, so that the report
// shows what it does not cover.
func (s *Reports) Cost(ctx context.Context, r Range) (CostReport, error) {
	rep := CostReport{
		Currency: s.catalog.Currency, From: r.From.UTC(), To: r.To.UTC(),
		Catalog: CatalogRef{Name: s.catalog.Name, EffectiveDate: s.catalog.EffectiveDate, Source: s.catalog.Source},
		Items:   []CostItem{},
	}
	if err := checkRange(r); err != nil {
		return rep, err
	}
	items, total, err := s.costItems(ctx, r)
	if err != nil {
		return rep, err
	}
	for _, it := range items {
		rep.Items = append(rep.Items, it.item)
	}
	rep.TotalUSD = total.InexactFloat64()
	return rep, nil
}

// costItems measures billed usage in ClickHouse (queries/cost.sql, each
// invocation rounded by the catalog's rule) and prices it here, sorted by
// function, architecture, memory (then provider and region, so that the
// order is total).
func (s *Reports) costItems(ctx context.Context, r Range) ([]pricedItem, decimal.Decimal, error) {
	rows, err := s.conn.Query(ctx, s.sql["cost"], append(ruleOf(s.catalog).args(), windowArgs(r)...)...)
	if err != nil {
		return nil, decimal.Zero, s.classify(ctx, "cost", err)
	}
	defer rows.Close()
	var items []pricedItem
	total := decimal.Zero
	for rows.Next() {
		var it CostItem
		if err := rows.Scan(&it.Function, &it.Provider, &it.Region, &it.Architecture, &it.MemoryMB,
			&it.Invocations, &it.BilledDurationMs); err != nil {
			return nil, decimal.Zero, scanFailed("cost", err)
		}
		c, err := s.catalog.Price(pricing.Usage{Provider: it.Provider, Region: it.Region, Architecture: it.Architecture,
			MemoryMB: it.MemoryMB, Invocations: it.Invocations, BilledDurationMs: it.BilledDurationMs})
		if err != nil {
			return nil, decimal.Zero, err
		}
		it.GBSeconds = c.GBSeconds.InexactFloat64()
		it.RequestUSD = c.Request.InexactFloat64()
		it.ComputeUSD = c.Compute.InexactFloat64()
		it.TotalUSD = c.Total.InexactFloat64()
		it.Note = c.Note
		items = append(items, pricedItem{item: it, total: c.Total})
		total = total.Add(c.Total)
	}
	if err := rows.Err(); err != nil {
		return nil, decimal.Zero, s.classify(ctx, "cost", err)
	}
	// ClickHouse sorts the same way; sorting here as well keeps the
	// contract in Go, where a change to the SQL cannot break it unnoticed.
	slices.SortStableFunc(items, func(a, b pricedItem) int {
		x, y := a.item, b.item
		return cmp.Or(cmp.Compare(x.Function, y.Function), cmp.Compare(x.Architecture, y.Architecture),
			cmp.Compare(x.MemoryMB, y.MemoryMB), cmp.Compare(x.Provider, y.Provider), cmp.Compare(x.Region, y.Region))
	})
	return items, total, nil
}
