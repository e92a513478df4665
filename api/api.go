// Package api owns faasight's REST API (v1): routes, parameter parsing, the
// JSON and CSV shapes of the reports, the mapping of errors to HTTP status,
// and the OpenAPI document that describes all of it. It holds no SQL: every
// number comes from analysis through the Reports interface.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/faasight/faasight/analysis"
)

// openAPIDoc is served at /api/v1/openapi.json; the tests validate every
// response against it, so it cannot drift from the handlers.
//
//go:embed openapi.json
var openAPIDoc []byte

// setReleaseMode is the one piece of package state besides the embedded
// document. Gin's mode is process-wide (it decides whether gin prints its
// route table and warnings), so it is set once, not per engine, and an
// explicit GIN_MODE wins.
var setReleaseMode = sync.OnceFunc(func() {
	if os.Getenv(gin.EnvGinMode) == "" {
		gin.SetMode(gin.ReleaseMode)
	}
})

// Reports is what the API needs from analysis.
type Reports interface {
	Functions(ctx context.Context, r analysis.Range) ([]analysis.FunctionSummary, error)
	ColdStarts(ctx context.Context, r analysis.Range, function string, step time.Duration) (analysis.ColdStartReport, error)
	Latency(ctx context.Context, r analysis.Range, function string, step time.Duration) (analysis.LatencyReport, error)
	Cost(ctx context.Context, r analysis.Range) (analysis.CostReport, error)
	// CostReport is the cost report grouped, billed and priced as q asks.
	CostReport(ctx context.Context, r analysis.Range, q analysis.CostQuery) (analysis.CostReport, error)
	// Compare prices the window's workload on every catalog (function "" = all).
	Compare(ctx context.Context, r analysis.Range, function string) (analysis.CompareReport, error)
	// Rightsizing recommends memory sizes and the arm64 switch.
	Rightsizing(ctx context.Context, r analysis.Range) (analysis.RightsizingReport, error)
	// Ready reports whether the reports can be answered (ClickHouse reachable).
	Ready(ctx context.Context) error
}

// Options configure a Handler; the zero value is usable.
type Options struct {
	// Now is the clock for default time windows; time.Now when nil. Tests fix it.
	Now func() time.Time
	// DefaultTenant answers requests that name no tenant; "default" when empty.
	DefaultTenant string
}

// defaultTenant matches ingest.DefaultTenant: telemetry without a tenant and
// requests without one see the same data.
const defaultTenant = "default"

// Handler serves the REST API.
type Handler struct {
	reports       Reports
	logger        *slog.Logger
	now           func() time.Time
	defaultTenant string
}

// New returns a Handler answering from reports and logging to logger (nil
// discards logs).
func New(reports Reports, logger *slog.Logger, opts Options) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.DefaultTenant == "" {
		opts.DefaultTenant = defaultTenant
	}
	return &Handler{reports: reports, logger: logger, now: opts.Now, defaultTenant: opts.DefaultTenant}
}

// Register adds the API's routes to r. Engine adds them together with JSON
// answers for unknown routes, panic recovery and request logging; a caller
// registering on its own router brings those itself.
func (h *Handler) Register(r gin.IRouter) {
	r.GET("/healthz", h.healthz)
	r.GET("/readyz", h.readyz)
	v1 := r.Group("/api/v1")
	v1.GET("/openapi.json", h.openAPI)
	v1.GET("/functions", h.functions)
	v1.GET("/functions/:name/coldstarts", h.coldStarts)
	v1.GET("/functions/:name/latency", h.latency)
	v1.GET("/reports/cost", h.cost)
	v1.GET("/reports/cost/compare", h.compare)
	v1.GET("/reports/rightsizing", h.rightsizing)
}

// Engine returns a gin engine in release mode serving the API.
func (h *Handler) Engine() *gin.Engine {
	setReleaseMode()
	e := gin.New()
	e.HandleMethodNotAllowed = true
	// Function names are path segments; a name with an encoded "/" still
	// selects one function.
	e.UseRawPath = true
	e.UnescapePathValues = true
	// No proxy is trusted: the logged client address is the peer's, not a
	// header anyone can set. (An empty list cannot fail to parse.)
	_ = e.SetTrustedProxies(nil)
	e.Use(h.logRequests, h.recoverPanics)
	e.NoRoute(func(c *gin.Context) { h.fail(c, errNoRoute) })
	e.NoMethod(func(c *gin.Context) { h.fail(c, errMethodNotAllowed) })
	h.Register(e)
	return e
}

func (h *Handler) healthz(c *gin.Context) {
	h.writeJSON(c, http.StatusOK, statusResponse{Status: "ok"})
}

func (h *Handler) readyz(c *gin.Context) {
	if err := h.reports.Ready(c.Request.Context()); err != nil {
		h.fail(c, notReadyError{err})
		return
	}
	h.writeJSON(c, http.StatusOK, statusResponse{Status: "ready"})
}

func (h *Handler) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, jsonContentType, openAPIDoc)
}

func (h *Handler) functions(c *gin.Context) {
	rng, err := h.rangeOf(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	fs, err := h.reports.Functions(c.Request.Context(), rng)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.writeJSON(c, http.StatusOK, newFunctionsResponse(fs))
}

func (h *Handler) coldStarts(c *gin.Context) {
	rng, step, err := h.seriesParams(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	rep, err := h.reports.ColdStarts(c.Request.Context(), rng, c.Param("name"), step)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.writeJSON(c, http.StatusOK, newColdStartResponse(rep))
}

func (h *Handler) latency(c *gin.Context) {
	rng, step, err := h.seriesParams(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	rep, err := h.reports.Latency(c.Request.Context(), rng, c.Param("name"), step)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.writeJSON(c, http.StatusOK, newLatencyResponse(rep))
}

// seriesParams parses what the series endpoints share: tenant, window, step.
func (h *Handler) seriesParams(c *gin.Context) (analysis.Range, time.Duration, error) {
	rng, err := h.rangeOf(c)
	if err != nil {
		return analysis.Range{}, 0, err
	}
	step, err := parseStep(c.Query("step"), rng.To.Sub(rng.From))
	if err != nil {
		return analysis.Range{}, 0, err
	}
	return rng, step, nil
}

// rangeOf parses the tenant and the from/to window of a request.
func (h *Handler) rangeOf(c *gin.Context) (analysis.Range, error) {
	tenant, err := h.tenantOf(c)
	if err != nil {
		return analysis.Range{}, err
	}
	// Whole seconds: default windows then have readable bucket times.
	from, to, err := parseWindow(c.Query("from"), c.Query("to"), h.now().Truncate(time.Second))
	if err != nil {
		return analysis.Range{}, err
	}
	return analysis.Range{Tenant: tenant, From: from, To: to}, nil
}

// tenantOf is the X-Faasight-Tenant header, else the tenant query parameter,
// else the default. A header or parameter that is present must be valid,
// even when empty: a client that meant to name a tenant must not silently
// read the default one.
func (h *Handler) tenantOf(c *gin.Context) (string, error) {
	hv, inHeader := c.Request.Header[http.CanonicalHeaderKey(tenantHeader)]
	qv, inQuery := c.GetQuery("tenant")
	switch {
	case len(hv) > 1:
		return "", badParam("%s: sent %d times; name one tenant", tenantHeader, len(hv))
	case inHeader && inQuery && hv[0] != qv:
		return "", badParam("tenant: header %s %q and query parameter tenant %q disagree", tenantHeader, hv[0], qv)
	case inHeader:
		return checkTenant(tenantHeader, hv[0])
	case inQuery:
		return checkTenant("tenant", qv)
	}
	return h.defaultTenant, nil
}

// Errors the handler itself raises; fail maps them like any other.
var (
	errNoRoute          = errors.New("no such endpoint")
	errMethodNotAllowed = errors.New("method not allowed")
)

// notReadyError is a failed readiness check: always 503, whatever the cause.
type notReadyError struct{ err error }

func (e notReadyError) Error() string { return "not ready: " + e.err.Error() }
func (e notReadyError) Unwrap() error { return e.err }

// retryAfterSeconds is what a 503 asks clients to wait: long enough for a
// restarting ClickHouse, short enough that dashboards recover promptly.
const retryAfterSeconds = "5"

// fail answers err with a status and {"error": ...}. It is the one place
// that maps errors to status codes: bad input is 4xx and says what was
// wrong; our own failures are 5xx and tell the client nothing internal (the
// log gets the detail).
func (h *Handler) fail(c *gin.Context, err error) {
	ctx := c.Request.Context()
	route := slog.String("route", c.FullPath())
	var (
		pe       *paramError
		notReady notReadyError
		status   int
		msg      string
	)
	switch {
	case errors.As(err, &pe):
		status, msg = http.StatusBadRequest, pe.Error()
	case errors.As(err, &notReady):
		status, msg = http.StatusServiceUnavailable, "not ready"
		if errors.Is(err, analysis.ErrUnavailable) {
			msg += ": " + analysis.ErrUnavailable.Error()
		}
		c.Header("Retry-After", retryAfterSeconds)
		h.logger.WarnContext(ctx, "readiness check failed", "err", err)
	case errors.Is(err, analysis.ErrInvalid):
		status, msg = http.StatusBadRequest, err.Error()
	case errors.Is(err, analysis.ErrUnknownFunction):
		status, msg = http.StatusNotFound, "function not found"
		if name := c.Param("name"); name != "" {
			msg = fmt.Sprintf("function %q not found", name)
		}
	case errors.Is(err, analysis.ErrUnavailable):
		status, msg = http.StatusServiceUnavailable, analysis.ErrUnavailable.Error()+"; retry in a few seconds"
		c.Header("Retry-After", retryAfterSeconds)
		h.logger.WarnContext(ctx, "reports unavailable", route, "err", err)
	case errors.Is(err, errNoRoute):
		status, msg = http.StatusNotFound, fmt.Sprintf("no endpoint %s; see /api/v1/openapi.json", c.Request.URL.Path)
	case errors.Is(err, errMethodNotAllowed):
		status, msg = http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s", c.Request.Method, c.Request.URL.Path)
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// The client went away; nobody reads the answer and it is not our fault.
		h.logger.DebugContext(ctx, "request canceled by client", route, "err", err)
		c.AbortWithStatus(statusClientClosedRequest)
		return
	default:
		status, msg = http.StatusInternalServerError, "internal error"
		h.logger.ErrorContext(ctx, "request failed", route, "err", err)
	}
	h.writeJSON(c, status, errorResponse{Error: msg})
	c.Abort()
}

// statusClientClosedRequest is nginx's code for a request the client
// abandoned; it only ever reaches the request log.
const statusClientClosedRequest = 499

const jsonContentType = "application/json; charset=utf-8"

// internalErrorBody is written when even encoding an answer failed.
const internalErrorBody = `{"error":"internal error"}`

// writeJSON encodes v before writing anything, so that a value JSON cannot
// represent (a NaN from upstream) becomes a clean 500, not half a body.
func (h *Handler) writeJSON(c *gin.Context, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		h.logger.ErrorContext(c.Request.Context(), "encode response", "route", c.FullPath(), "err", err)
		c.Data(http.StatusInternalServerError, jsonContentType, []byte(internalErrorBody))
		return
	}
	c.Data(status, jsonContentType, b)
}

// recoverPanics turns a panic into a 500 whose body says nothing about it;
// the panic value and stack go to the log. gin's own Recovery writes plain
// text with the stack to an io.Writer instead of one slog record, and knows
// nothing of fail.
func (h *Handler) recoverPanics(c *gin.Context) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p) // net/http's way to abort a response; it logs nothing
		}
		err := fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		if c.Writer.Written() {
			// Too late for a status; the client sees a truncated body.
			h.logger.ErrorContext(c.Request.Context(), "request failed after writing", "route", c.FullPath(), "err", err)
			c.Abort()
			return
		}
		h.fail(c, err)
	}()
	c.Next()
}

// logRequests writes one slog record per request, at info: failures have
// their own record from fail, at the level they deserve. Probes log at
// debug so that a kubelet polling /readyz does not fill the log.
func (h *Handler) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	level := slog.LevelInfo
	if route == "/healthz" || route == "/readyz" {
		level = slog.LevelDebug
	}
	h.logger.LogAttrs(c.Request.Context(), level, "http request",
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.String("query", c.Request.URL.RawQuery),
		slog.String("route", route),
		slog.Int("status", c.Writer.Status()),
		slog.Int("bytes", max(c.Writer.Size(), 0)),
		slog.Duration("duration", time.Since(start)),
		slog.String("client", c.ClientIP()),
	)
}
