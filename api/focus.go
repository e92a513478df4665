package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/faasight/faasight/analysis"
	"github.com/faasight/faasight/analysis/pricing"
)

// focusColumns are the FinOps FOCUS 1.x columns faasight writes, in this
// order. Columns it cannot fill honestly (invoice ids, commitment
// discounts, capacity reservations) are left out or left empty rather than
// guessed.
var focusColumns = []string{
	"BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency",
	"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
	"ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
	"ServiceName", "ServiceCategory", "ProviderName", "PublisherName", "InvoiceIssuerName",
	"BillingAccountId", "SubAccountId", "RegionId", "ResourceId", "ResourceName", "ResourceType",
	"PricingQuantity", "PricingUnit", "ConsumedQuantity", "ConsumedUnit", "SkuId", "Tags",
}

// providerNames are FOCUS ProviderName values for cloud.provider.
var providerNames = map[string]string{
	"aws": "AWS", "gcp": "Google Cloud", "azure": "Microsoft Azure", "cloudflare": "Cloudflare",
}

// focusCSV writes one FOCUS row per line of every item (an unpriced item
// gets one row at zero cost that says why). The report must be grouped by
// month: a FOCUS row lies in one billing period.
//
// BilledCost and EffectiveCost are the report's billing (list or
// effective) — faasight's estimate of the bill, not an invoice; ListCost
// is at list prices; ContractedCost is ListCost, as the catalogs hold no
// negotiated prices.
func focusCSV(rep analysis.CostReport) ([]byte, error) {
	provider, service := "", ""
	if all, err := pricing.Catalogs(); err == nil {
		if c, ok := all[rep.Catalog.Name]; ok {
			provider, service = c.Provider, c.Product
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(focusColumns); err != nil {
		return nil, fmt.Errorf("focus csv: %w", err)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	for _, it := range rep.Items {
		billStart, err := time.Parse("2006-01", it.Group[analysis.GroupMonth])
		if err != nil {
			return nil, fmt.Errorf("focus csv: item without a month (group by month): %w", err)
		}
		billEnd := billStart.AddDate(0, 1, 0)
		chargeStart, chargeEnd := billStart, billEnd
		if d, err := time.Parse(time.DateOnly, it.Group[analysis.GroupDay]); err == nil {
			chargeStart, chargeEnd = d, d.AddDate(0, 0, 1)
		}
		if rep.From.After(chargeStart) {
			chargeStart = rep.From
		}
		if rep.To.Before(chargeEnd) {
			chargeEnd = rep.To
		}
		tags, err := json.Marshal(it.Group)
		if err != nil {
			return nil, fmt.Errorf("focus csv: tags: %w", err)
		}
		prov := provider
		if prov == "" {
			prov = it.Provider
		}
		name := providerNames[prov]
		if name == "" {
			name = prov
		}
		lines := it.Lines
		if len(lines) == 0 {
			lines = []analysis.CostLine{{Line: string(pricing.LineCompute), Region: it.Region}}
		}
		for _, l := range lines {
			category := "Usage"
			switch pricing.Line(l.Line) {
			case pricing.LineFreeTier:
				category = "Credit"
			case pricing.LineSubscription:
				category = "Purchase"
			}
			desc := fmt.Sprintf("%s: %s", l.Line, l.Meter)
			if l.Meter == "" {
				desc = "not priced: " + it.Note
			}
			qty, unit := "", ""
			if l.Unit != "" {
				qty, unit = f(l.Quantity), l.Unit
			}
			consumedQty, consumedUnit := qty, unit
			if category != "Usage" {
				consumedQty, consumedUnit = "", "" // FOCUS: consumption only on usage rows
			}
			sku := ""
			if l.Meter != "" {
				sku = rep.Catalog.Name + ":" + l.Meter
			}
			row := []string{
				f(l.USD), f(l.USD), f(l.ListUSD), f(l.ListUSD), rep.Currency,
				ts(billStart), ts(billEnd), ts(chargeStart), ts(chargeEnd),
				category, "", desc, "Usage-Based",
				service, "Compute", name, name, name,
				"", it.Group[analysis.GroupAccount], l.Region, it.Function, it.Function, "Serverless Function",
				qty, unit, consumedQty, consumedUnit, sku, string(tags),
			}
			if err := w.Write(row); err != nil {
				return nil, fmt.Errorf("focus csv: %w", err)
			}
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("focus csv: %w", err)
	}
	return buf.Bytes(), nil
}
