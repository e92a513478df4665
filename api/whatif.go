package api

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/faasight/faasight/analysis"
)

// maxFunctionNameLen bounds the function parameter; names are far shorter.
const maxFunctionNameLen = 256

func (h *Handler) compare(c *gin.Context) {
	rng, err := h.rangeOf(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	function := c.Query("function")
	if len(function) > maxFunctionNameLen {
		h.fail(c, badParam("function: %d characters is too long; a function name is at most %d", len(function), maxFunctionNameLen))
		return
	}
	rep, err := h.reports.Compare(c.Request.Context(), rng, function)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.writeJSON(c, http.StatusOK, newCompareResponse(rep))
}

func (h *Handler) rightsizing(c *gin.Context) {
	rng, err := h.rangeOf(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	rep, err := h.reports.Rightsizing(c.Request.Context(), rng)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.writeJSON(c, http.StatusOK, newRightsizingResponse(rep))
}

// newCompareResponse: analysis.CompareReport's JSON is the contract as it
// is; nil lists become [] and times UTC.
func newCompareResponse(r analysis.CompareReport) analysis.CompareReport {
	// Copies: the report may be shared with its producer.
	r.Scenarios = slices.Clone(nonNil(r.Scenarios))
	for i := range r.Scenarios {
		r.Scenarios[i].Notes = nonNil(r.Scenarios[i].Notes)
	}
	r.Items = slices.Clone(nonNil(r.Items))
	for i := range r.Items {
		r.Items[i].Costs = nonNil(r.Items[i].Costs)
	}
	r.Assumptions = nonNil(r.Assumptions)
	r.From, r.To = r.From.UTC(), r.To.UTC()
	if r.Billing == "" {
		r.Billing = "list"
	}
	return r
}

// newRightsizingResponse: as newCompareResponse.
func newRightsizingResponse(r analysis.RightsizingReport) analysis.RightsizingReport {
	r.Catalogs = nonNil(r.Catalogs)
	r.Items = slices.Clone(nonNil(r.Items))
	for i := range r.Items {
		r.Items[i].Notes = nonNil(r.Items[i].Notes)
	}
	r.Assumptions = nonNil(r.Assumptions)
	r.From, r.To = r.From.UTC(), r.To.UTC()
	if r.Billing == "" {
		r.Billing = "list"
	}
	return r
}
