package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/faasight/faasight/analysis"
	"github.com/faasight/faasight/analysis/pricing"
)

// costFormats are the answers GET /api/v1/reports/cost gives.
var costFormats = []string{"json", "csv", "focus"}

func (h *Handler) cost(c *gin.Context) {
	rng, err := h.rangeOf(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	q, format, err := costQueryOf(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	rep, err := h.reports.CostReport(c.Request.Context(), rng, q)
	if err != nil {
		h.fail(c, err)
		return
	}
	var body []byte
	switch format {
	case "json":
		h.writeJSON(c, http.StatusOK, newCostResponse(rep))
		return
	case "csv":
		body, err = costCSV(rep)
	case "focus":
		body, err = focusCSV(rep)
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	name := "cost"
	if format == "focus" {
		name = "focus"
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="faasight-%s-%d-%d.csv"`, name, rng.From.Unix(), rng.To.Unix()))
	c.Data(http.StatusOK, "text/csv; charset=utf-8", body)
}

// costQueryOf parses group_by, billing, catalog and format. FOCUS rows
// are per billing period, so format=focus groups by month as well.
func costQueryOf(c *gin.Context) (analysis.CostQuery, string, error) {
	format := c.DefaultQuery("format", "json")
	if !slices.Contains(costFormats, format) {
		return analysis.CostQuery{}, "", badParam("format: %q is not supported; accepted values: %s", format, strings.Join(costFormats, ", "))
	}
	groupBy, err := analysis.ParseGroupBy(c.Query("group_by"))
	if err != nil {
		return analysis.CostQuery{}, "", badParam("%s", strings.ReplaceAll(err.Error(), analysis.ErrInvalid.Error()+": ", ""))
	}
	if format == "focus" && !slices.Contains(groupBy, analysis.GroupMonth) {
		groupBy = append(groupBy, analysis.GroupMonth)
	}
	billing, err := pricing.ParseBilling(c.Query("billing"))
	if err != nil {
		return analysis.CostQuery{}, "", badParam("billing: %q is not supported; accepted values: list, effective", c.Query("billing"))
	}
	catalog := c.DefaultQuery("catalog", pricing.DefaultCatalog)
	return analysis.CostQuery{GroupBy: groupBy, Billing: billing, Catalog: catalog}, format, nil
}

// costCSV renders the items of a cost report, one row each. Floats are
// written in the shortest form that parses back to the same float64, as
// in the JSON, so the two formats carry the same numbers.
func costCSV(rep analysis.CostReport) ([]byte, error) {
	// The column order is the contract: spreadsheets and scripts address
	// columns by position. New columns are only ever appended: the line
	// totals, then one group.<key> column per group_by key.
	header := []string{
		"function", "provider", "region", "architecture", "memory_mb", "invocations",
		"billed_duration_ms", "gb_seconds", "request_usd", "compute_usd", "total_usd", "note",
		"billing", "init_usd", "provisioned_concurrency_usd", "storage_usd", "subscription_usd", "free_tier_credit_usd",
	}
	for _, k := range rep.GroupBy {
		header = append(header, "group."+k)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(header); err != nil {
		return nil, fmt.Errorf("cost csv: %w", err)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	for _, it := range rep.Items {
		lt := analysis.LineTotals{}
		if it.LineUSD != nil {
			lt = *it.LineUSD
		}
		row := []string{
			it.Function, it.Provider, it.Region, it.Architecture, u(uint64(it.MemoryMB)), u(it.Invocations),
			u(it.BilledDurationMs), f(it.GBSeconds), f(it.RequestUSD), f(it.ComputeUSD), f(it.TotalUSD), it.Note,
			rep.Billing, f(lt.Init), f(lt.ProvisionedConcurrency), f(lt.Storage), f(lt.Subscription), f(lt.FreeTierCredit),
		}
		for _, k := range rep.GroupBy {
			row = append(row, it.Group[k])
		}
		if err := w.Write(row); err != nil {
			return nil, fmt.Errorf("cost csv: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("cost csv: %w", err)
	}
	return buf.Bytes(), nil
}
