package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/faasight/faasight/analysis"
)

func (h *Handler) cost(c *gin.Context) {
	rng, err := h.rangeOf(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	if g := c.DefaultQuery("group_by", "function"); g != "function" {
		h.fail(c, badParam("group_by: %q is not supported; accepted values: function", g))
		return
	}
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "csv" {
		h.fail(c, badParam("format: %q is not supported; accepted values: json, csv", format))
		return
	}
	rep, err := h.reports.Cost(c.Request.Context(), rng)
	if err != nil {
		h.fail(c, err)
		return
	}
	if format == "json" {
		h.writeJSON(c, http.StatusOK, newCostResponse(rep))
		return
	}
	body, err := costCSV(rep)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="faasight-cost-%d-%d.csv"`, rng.From.Unix(), rng.To.Unix()))
	c.Data(http.StatusOK, "text/csv; charset=utf-8", body)
}

// costCSV renders the items of a cost report, one row each. Floats are
// written in the shortest form that parses back to the same float64, as
// in the JSON, so the two formats carry the same numbers.
func costCSV(rep analysis.CostReport) ([]byte, error) {
	// The column order is the contract: spreadsheets and scripts address
	// columns by position.
	header := []string{
		"function", "provider", "region", "architecture", "memory_mb", "invocations",
		"billed_duration_ms", "gb_seconds", "request_usd", "compute_usd", "total_usd", "note",
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(header); err != nil {
		return nil, fmt.Errorf("cost csv: %w", err)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	for _, it := range rep.Items {
		row := []string{
			it.Function, it.Provider, it.Region, it.Architecture, u(uint64(it.MemoryMB)), u(it.Invocations),
			u(it.BilledDurationMs), f(it.GBSeconds), f(it.RequestUSD), f(it.ComputeUSD), f(it.TotalUSD), it.Note,
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
