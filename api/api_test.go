package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gin-gonic/gin"

	"github.com/faasight/faasight/analysis"
	"github.com/faasight/faasight/internal/golden"
)

// testNow is the clock of every test: default windows end here.
func testNow() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }

// loadSpec parses and validates the embedded OpenAPI document.
func loadSpec(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not valid OpenAPI: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("route openapi.json: %v", err)
	}
	return doc, router
}

// server is the API under test: an engine over a fake, the document to
// check answers against, and the log.
type server struct {
	fake   *fakeReports
	engine *gin.Engine
	router routers.Router
	logs   *bytes.Buffer
}

func newServer(t testing.TB, fake *fakeReports, opts Options) *server {
	t.Helper()
	if opts.Now == nil {
		opts.Now = testNow
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, router := loadSpec(t)
	s := &server{fake: fake, engine: New(fake, logger, opts).Engine(), router: router, logs: &logs}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return s
}

// request serves one request. Every answer on a documented route is
// validated against the OpenAPI document: status, headers and body.
func (s *server) request(t testing.TB, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	s.engine.ServeHTTP(rec, req)
	route, params, err := s.router.FindRoute(req)
	switch {
	case err == nil:
		checkResponse(t, route, params, req, rec)
	case req.URL.RawPath != "":
		// kin-openapi routes on the decoded path, so a name with an encoded
		// "/" finds no operation there; such requests are checked by status.
	case rec.Code < 400:
		t.Errorf("%s %s: answered %d but is not in openapi.json: %v", method, target, rec.Code, err)
	}
	return rec
}

func (s *server) get(t testing.TB, target string) *httptest.ResponseRecorder {
	t.Helper()
	return s.request(t, http.MethodGet, target, nil)
}

func checkResponse(t testing.TB, route *routers.Route, params map[string]string, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s: %d answer does not match openapi.json: %v\nbody: %s", req.Method, req.URL, rec.Code, err, rec.Body)
	}
}

// checkRequest validates a request against the document: the parameters a
// test sends on purpose must be documented ones.
func (s *server) checkRequest(t testing.TB, target string, header http.Header) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		t.Fatalf("GET %s: not in openapi.json: %v", target, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		t.Errorf("GET %s: request does not match openapi.json: %v", target, err)
	}
}

func errorOf(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", rec.Body, err)
	}
	return e.Error
}

func checkGolden(t testing.TB, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

// TestOpenAPIDocument: the document is valid, and it and the engine list
// the same operations.
func TestOpenAPIDocument(t *testing.T) {
	doc, _ := loadSpec(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, r := range New(&fakeReports{}, nil, Options{}).Engine().Routes() {
		path := strings.ReplaceAll(r.Path, ":name", "{name}")
		served[r.Method+" "+path] = true
		if !documented[r.Method+" "+path] {
			t.Errorf("%s %s is served but not in openapi.json", r.Method, path)
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("%s is in openapi.json but not served", op)
		}
	}
}

// TestEndpoints: the happy path of every endpoint.
func TestEndpoints(t *testing.T) {
	tenant := http.Header{"X-Faasight-Tenant": {"acme"}}
	tests := []struct {
		name        string
		target      string
		header      http.Header
		contentType string
		golden      string
		check       func(t *testing.T, body []byte)
	}{
		{
			name: "healthz", target: "/healthz", contentType: jsonContentType,
			check: wantBody(`{"status":"ok"}`),
		},
		{
			name: "readyz", target: "/readyz", contentType: jsonContentType,
			check: wantBody(`{"status":"ready"}`),
		},
		{
			name: "openapi", target: "/api/v1/openapi.json", contentType: jsonContentType,
			check: func(t *testing.T, body []byte) {
				if !bytes.Equal(body, openAPIDoc) {
					t.Error("the served document is not the embedded one")
				}
			},
		},
		{
			name: "functions", target: "/api/v1/functions?from=2026-11-22T00:00:00Z&to=2026-11-23T00:00:00Z", header: tenant,
			contentType: jsonContentType, golden: "functions.golden.json",
		},
		{
			name: "coldstarts", target: "/api/v1/functions/checkout-api/coldstarts?from=1795384800&to=1795392000&step=1h", header: tenant,
			contentType: jsonContentType, golden: "coldstarts.golden.json",
		},
		{
			name: "latency", target: "/api/v1/functions/checkout-api/latency?from=1795384800&to=1795392000&step=1h&tenant=acme",
			contentType: jsonContentType,
			check: func(t *testing.T, body []byte) {
				var got latencyResponse
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				if got.DurationMs.Max != 240.05 || len(got.Series) != 2 || got.Series[1].P95 != 125 {
					t.Errorf("latency = %+v", got)
				}
			},
		},
		{
			name: "cost json", target: "/api/v1/reports/cost?from=2026-11-22T12:00:00Z&to=2026-11-23T12:00:00Z&group_by=function&format=json", header: tenant,
			contentType: jsonContentType, golden: "cost.golden.json",
		},
		{
			name: "cost csv", target: "/api/v1/reports/cost?from=2026-11-22T12:00:00Z&to=2026-11-23T12:00:00Z&format=csv", header: tenant,
			contentType: "text/csv; charset=utf-8", golden: "cost.golden.csv",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, sampleReports(), Options{})
			s.checkRequest(t, tc.target, tc.header)
			rec := s.request(t, http.MethodGet, tc.target, tc.header)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200: %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != tc.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tc.contentType)
			}
			if tc.check != nil {
				tc.check(t, rec.Body.Bytes())
			}
			if tc.golden != "" {
				body := rec.Body.Bytes()
				if strings.HasSuffix(tc.golden, ".json") {
					// Indented for review; numbers and key order are untouched.
					var buf bytes.Buffer
					if err := json.Indent(&buf, body, "", "  "); err != nil {
						t.Fatalf("body is not JSON: %v\n%s", err, body)
					}
					body = append(buf.Bytes(), '\n')
				}
				checkGolden(t, tc.golden, body)
			}
		})
	}
}

func wantBody(want string) func(t *testing.T, body []byte) {
	return func(t *testing.T, body []byte) {
		t.Helper()
		if string(body) != want {
			t.Errorf("body %s, want %s", body, want)
		}
	}
}

// TestEmptyLists: no functions, series or items are [] in JSON, never null.
func TestEmptyLists(t *testing.T) {
	s := newServer(t, &fakeReports{}, Options{})
	for target, want := range map[string]string{
		"/api/v1/functions":                   `"functions":[]`,
		"/api/v1/functions/f/coldstarts":      `"series":[]`,
		"/api/v1/functions/f/latency":         `"series":[]`,
		"/api/v1/reports/cost":                `"items":[]`,
		"/api/v1/reports/cost?format=csv":     "function,provider,region,architecture,memory_mb,invocations,billed_duration_ms,gb_seconds,request_usd,compute_usd,total_usd,note,billing,init_usd,provisioned_concurrency_usd,storage_usd,subscription_usd,free_tier_credit_usd,group.function,group.provider,group.region,group.architecture,group.memory\n",
		"/api/v1/functions/f/latency?step=1h": `"series":[]`,
	} {
		rec := s.get(t, target)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("GET %s: %d %s, want 200 with %s", target, rec.Code, rec.Body, want)
		}
	}
}

// TestParameters: what the handlers pass to the reports for given
// parameters, defaults included.
func TestParameters(t *testing.T) {
	now := testNow()
	day := 24 * time.Hour
	tests := []struct {
		name   string
		target string
		header http.Header
		opts   Options
		want   fakeCall
	}{
		{
			name:   "defaults",
			target: "/api/v1/functions/checkout-api/coldstarts",
			want:   fakeCall{"ColdStarts", analysis.Range{Tenant: "default", From: now.Add(-day), To: now}, "checkout-api", 5 * time.Minute},
		},
		{
			name:   "default tenant from options",
			target: "/api/v1/functions",
			opts:   Options{DefaultTenant: "team-a"},
			want:   fakeCall{"Functions", analysis.Range{Tenant: "team-a", From: now.Add(-day), To: now}, "", 0},
		},
		{
			name:   "RFC 3339 with offset and fraction",
			target: "/api/v1/functions?from=2026-11-23T01:00:00.5%2B01:00&to=2026-11-23T06:30:00Z",
			want: fakeCall{"Functions", analysis.Range{Tenant: "default",
				From: time.Date(2026, 11, 23, 0, 0, 0, 5e8, time.UTC), To: time.Date(2026, 11, 23, 6, 30, 0, 0, time.UTC)}, "", 0},
		},
		{
			name:   "unix seconds",
			target: "/api/v1/functions/f/latency?from=1795392000&to=1795395600",
			want:   fakeCall{"Latency", analysis.Range{Tenant: "default", From: time.Unix(1795392000, 0).UTC(), To: time.Unix(1795395600, 0).UTC()}, "f", time.Minute},
		},
		{
			name:   "unix seconds with fraction",
			target: "/api/v1/functions/f/latency?from=1795392000.25&to=1795392300.000000001",
			want:   fakeCall{"Latency", analysis.Range{Tenant: "default", From: time.Unix(1795392000, 25e7).UTC(), To: time.Unix(1795392300, 1).UTC()}, "f", time.Second},
		},
		{
			name:   "only from: to is now",
			target: "/api/v1/reports/cost?from=2026-11-16T12:00:00Z",
			want:   fakeCall{"CostReport", analysis.Range{Tenant: "default", From: now.Add(-7 * day), To: now}, "", 0},
		},
		{
			name:   "only to: a day before it",
			target: "/api/v1/functions/f/coldstarts?to=2026-11-20T00:00:00Z",
			want:   fakeCall{"ColdStarts", analysis.Range{Tenant: "default", From: time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}, "f", 5 * time.Minute},
		},
		{
			name:   "explicit step",
			target: "/api/v1/functions/f/coldstarts?step=90s",
			want:   fakeCall{"ColdStarts", analysis.Range{Tenant: "default", From: now.Add(-day), To: now}, "f", 90 * time.Second},
		},
		{
			name:   "400 days, default step in whole days",
			target: "/api/v1/functions/f/latency?from=2025-10-19T12:00:00Z",
			want:   fakeCall{"Latency", analysis.Range{Tenant: "default", From: now.Add(-400 * day), To: now}, "f", 2 * day},
		},
		{
			name:   "tenant header",
			target: "/api/v1/functions",
			header: http.Header{"X-Faasight-Tenant": {"acme.prod_1-eu"}},
			want:   fakeCall{"Functions", analysis.Range{Tenant: "acme.prod_1-eu", From: now.Add(-day), To: now}, "", 0},
		},
		{
			name:   "tenant query parameter",
			target: "/api/v1/reports/cost?tenant=acme",
			want:   fakeCall{"CostReport", analysis.Range{Tenant: "acme", From: now.Add(-day), To: now}, "", 0},
		},
		{
			name:   "header and query agree",
			target: "/api/v1/reports/cost?tenant=acme",
			header: http.Header{"X-Faasight-Tenant": {"acme"}},
			want:   fakeCall{"CostReport", analysis.Range{Tenant: "acme", From: now.Add(-day), To: now}, "", 0},
		},
		{
			name:   "function name with an encoded slash",
			target: "/api/v1/functions/team%2Fresize/latency",
			want:   fakeCall{"Latency", analysis.Range{Tenant: "default", From: now.Add(-day), To: now}, "team/resize", 5 * time.Minute},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, sampleReports(), tc.opts)
			rec := s.request(t, http.MethodGet, tc.target, tc.header)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			got := s.fake.lastCall(t)
			if got.method != tc.want.method || got.function != tc.want.function || got.step != tc.want.step ||
				got.rng.Tenant != tc.want.rng.Tenant || !got.rng.From.Equal(tc.want.rng.From) || !got.rng.To.Equal(tc.want.rng.To) {
				t.Errorf("reports got\n  %+v\nwant\n  %+v", got, tc.want)
			}
			if got.rng.From.Location() != time.UTC || got.rng.To.Location() != time.UTC {
				t.Errorf("range %v..%v is not in UTC", got.rng.From, got.rng.To)
			}
		})
	}
}

// TestBadParameters: each bad parameter is a 400 that names it, and the
// reports are never asked.
func TestBadParameters(t *testing.T) {
	long := strings.Repeat("a", 129)
	tests := []struct {
		name   string
		target string
		header http.Header
		want   string // the error message contains this
	}{
		{"from not a time", "/api/v1/functions?from=yesterday", nil, `from: "yesterday" is neither RFC 3339 nor unix seconds`},
		{"to not a time", "/api/v1/functions?to=2026-13-01", nil, `to: "2026-13-01" is neither RFC 3339 nor unix seconds`},
		{"unencoded plus", "/api/v1/functions?from=2026-11-23T01:00:00+01:00", nil, `from: "2026-11-23T01:00:00 01:00" is neither RFC 3339 nor unix seconds (send "+" in a query string as %2B)`},
		{"negative unix seconds", "/api/v1/functions?from=-5", nil, `from: "-5" is neither`},
		{"unix seconds out of range", "/api/v1/functions?to=99999999999999", nil, "to: 99999999999999 is out of range"},
		{"fraction without digits", "/api/v1/functions?from=1795392000.", nil, `from: "1795392000." is neither`},
		{"to before from", "/api/v1/functions?from=1795392000&to=1795391999", nil, "to must be after from"},
		{"empty window", "/api/v1/functions?from=1795392000&to=1795392000", nil, "to must be after from"},
		{"from in the future", "/api/v1/functions?from=2026-11-24T00:00:00Z", nil, "to must be after from (to defaults to now)"},
		{"window too long", "/api/v1/reports/cost?from=2025-01-01T00:00:00Z&to=2026-02-05T00:00:01Z", nil, "from, to: the window is 400.0 days; at most 400 days are allowed"},
		{"step not a duration", "/api/v1/functions/f/latency?step=1d", nil, `step: "1d" is not a duration`},
		{"step too small", "/api/v1/functions/f/latency?step=500ms", nil, "step: must be at least 1s"},
		{"step zero", "/api/v1/functions/f/coldstarts?step=0s", nil, "step: must be at least 1s"},
		{"step negative", "/api/v1/functions/f/coldstarts?step=-1m", nil, "step: must be at least 1s"},
		{"step fractional seconds", "/api/v1/functions/f/coldstarts?step=1500ms", nil, "step: 1.5s is not a whole number of seconds"},
		{"too many buckets", "/api/v1/functions/f/coldstarts?step=1s", nil, "step: 1s over this window makes 86400 buckets; at most 11000"},
		{"tenant bad characters", "/api/v1/functions", http.Header{"X-Faasight-Tenant": {"acme/prod"}}, `X-Faasight-Tenant: "acme/prod" is not a valid tenant`},
		{"tenant empty header", "/api/v1/functions", http.Header{"X-Faasight-Tenant": {""}}, `X-Faasight-Tenant: "" is not a valid tenant`},
		{"tenant too long", "/api/v1/functions", http.Header{"X-Faasight-Tenant": {long}}, "X-Faasight-Tenant: 129 characters is too long"},
		{"tenant query bad", "/api/v1/functions/f/latency?tenant=a%20b", nil, `tenant: "a b" is not a valid tenant`},
		{"tenant query empty", "/api/v1/reports/cost?tenant=", nil, `tenant: "" is not a valid tenant`},
		{"tenant header twice", "/api/v1/functions", http.Header{"X-Faasight-Tenant": {"a", "a"}}, "X-Faasight-Tenant: sent 2 times; name one tenant"},
		{"tenants disagree", "/api/v1/reports/cost?tenant=b", http.Header{"X-Faasight-Tenant": {"a"}}, `tenant: header X-Faasight-Tenant "a" and query parameter tenant "b" disagree`},
		{"format", "/api/v1/reports/cost?format=xlsx", nil, `format: "xlsx" is not supported; accepted values: json, csv, focus`},
		{"group_by", "/api/v1/reports/cost?group_by=regions", nil, `group_by: "regions" is not a group key; accepted: function, version, region, architecture, memory, trigger, day, month, provider, account, attr.<key>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, sampleReports(), Options{})
			rec := s.request(t, http.MethodGet, tc.target, tc.header)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
			}
			if msg := errorOf(t, rec); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want it to contain %q", msg, tc.want)
			}
			if n := s.fake.callCount(); n != 0 {
				t.Errorf("reports called %d times for a bad request", n)
			}
		})
	}
}

// TestErrors: how failures of the reports reach the client.
func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		target     string
		fake       func(f *fakeReports)
		wantStatus int
		wantError  string // exact
		wantLog    string // the log contains it ("" = nothing required)
		retry      bool   // Retry-After: 5 expected
	}{
		{
			name: "unknown function", target: "/api/v1/functions/nope/coldstarts",
			fake: func(f *fakeReports) {
				f.err = fmt.Errorf("analysis: cold starts of %q: %w", "nope", analysis.ErrUnknownFunction)
			},
			wantStatus: http.StatusNotFound, wantError: `function "nope" not found`,
		},
		{
			name: "unknown function latency", target: "/api/v1/functions/nope/latency",
			fake:       func(f *fakeReports) { f.err = analysis.ErrUnknownFunction },
			wantStatus: http.StatusNotFound, wantError: `function "nope" not found`,
		},
		{
			name: "unavailable", target: "/api/v1/functions",
			fake: func(f *fakeReports) {
				f.err = fmt.Errorf("analysis: functions: %w: dial tcp 10.0.0.7:9000: connection refused", analysis.ErrUnavailable)
			},
			wantStatus: http.StatusServiceUnavailable, wantError: "ClickHouse is unavailable; retry in a few seconds",
			wantLog: "10.0.0.7:9000", retry: true,
		},
		{
			name: "unavailable cost csv", target: "/api/v1/reports/cost?format=csv",
			fake:       func(f *fakeReports) { f.err = analysis.ErrUnavailable },
			wantStatus: http.StatusServiceUnavailable, wantError: "ClickHouse is unavailable; retry in a few seconds", retry: true,
		},
		{
			name: "invalid", target: "/api/v1/functions/f/latency",
			fake:       func(f *fakeReports) { f.err = fmt.Errorf("%w: step 7s does not divide a day", analysis.ErrInvalid) },
			wantStatus: http.StatusBadRequest, wantError: "invalid request: step 7s does not divide a day",
		},
		{
			name: "internal", target: "/api/v1/reports/cost",
			fake:       func(f *fakeReports) { f.err = errors.New("analysis: scan cost row: secret detail") },
			wantStatus: http.StatusInternalServerError, wantError: "internal error", wantLog: "secret detail",
		},
		{
			name: "panic", target: "/api/v1/functions/f/coldstarts",
			fake:       func(f *fakeReports) { f.panicMsg = "index out of range in secret place" },
			wantStatus: http.StatusInternalServerError, wantError: "internal error", wantLog: "goroutine",
		},
		{
			name: "not JSON-representable", target: "/api/v1/functions/f/coldstarts",
			fake:       func(f *fakeReports) { f.coldStarts.ColdStartRate = math.NaN() },
			wantStatus: http.StatusInternalServerError, wantError: "internal error", wantLog: "NaN",
		},
		{
			name: "not ready", target: "/readyz",
			fake:       func(f *fakeReports) { f.readyErr = fmt.Errorf("analysis: ping: %w", analysis.ErrUnavailable) },
			wantStatus: http.StatusServiceUnavailable, wantError: "not ready: ClickHouse is unavailable", retry: true,
		},
		{
			name: "not ready other", target: "/readyz",
			fake:       func(f *fakeReports) { f.readyErr = errors.New("schema version 3 behind") },
			wantStatus: http.StatusServiceUnavailable, wantError: "not ready", wantLog: "schema version 3 behind", retry: true,
		},
		{
			name: "unknown route", target: "/api/v2/functions",
			wantStatus: http.StatusNotFound, wantError: "no endpoint /api/v2/functions; see /api/v1/openapi.json",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := sampleReports()
			if tc.fake != nil {
				tc.fake(f)
			}
			s := newServer(t, f, Options{})
			rec := s.get(t, tc.target)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != jsonContentType {
				t.Errorf("Content-Type %q, want %q", ct, jsonContentType)
			}
			if msg := errorOf(t, rec); msg != tc.wantError {
				t.Errorf("error %q, want %q", msg, tc.wantError)
			}
			if got := rec.Header().Get("Retry-After"); tc.retry != (got == "5") {
				t.Errorf("Retry-After %q, want it %v", got, map[bool]string{true: "5", false: "absent"}[tc.retry])
			}
			if rec.Header().Get("Content-Disposition") != "" {
				t.Error("an error answer has a Content-Disposition")
			}
			if tc.wantLog != "" && !strings.Contains(s.logs.String(), tc.wantLog) {
				t.Errorf("log does not contain %q:\n%s", tc.wantLog, s.logs)
			}
			for _, leak := range []string{"goroutine", "secret", ".go:", "10.0.0.7"} {
				if strings.Contains(rec.Body.String(), leak) {
					t.Errorf("body leaks %q: %s", leak, rec.Body)
				}
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	s := newServer(t, sampleReports(), Options{})
	rec := s.request(t, http.MethodPost, "/api/v1/reports/cost", nil)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("status %d, want 405: %s", rec.Code, rec.Body)
	}
	if msg := errorOf(t, rec); msg != "method POST not allowed on /api/v1/reports/cost" {
		t.Errorf("error %q", msg)
	}
	if allow := rec.Header().Get("Allow"); allow != http.MethodGet {
		t.Errorf("Allow %q, want GET", allow)
	}
}

// TestClientGone: a request the client abandoned is not logged as our error.
func TestClientGone(t *testing.T) {
	f := sampleReports()
	f.err = fmt.Errorf("analysis: functions: %w", context.Canceled)
	s := newServer(t, f, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/functions", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	s.engine.ServeHTTP(rec, req)
	if rec.Code != statusClientClosedRequest {
		t.Errorf("status %d, want %d", rec.Code, statusClientClosedRequest)
	}
	if strings.Contains(s.logs.String(), `"level":"ERROR"`) {
		t.Errorf("a canceled request was logged as an error:\n%s", s.logs)
	}
}

// TestCostCSV: the CSV carries exactly the numbers of the JSON.
func TestCostCSV(t *testing.T) {
	s := newServer(t, sampleReports(), Options{})
	const window = "from=1795348800&to=1795435200"
	rec := s.get(t, "/api/v1/reports/cost?format=csv&"+window)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got, want := rec.Header().Get("Content-Disposition"), `attachment; filename="faasight-cost-1795348800-1795435200.csv"`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	rows, err := csv.NewReader(bytes.NewReader(rec.Body.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v", err)
	}
	wantHeader := "function,provider,region,architecture,memory_mb,invocations,billed_duration_ms,gb_seconds,request_usd,compute_usd,total_usd,note"
	// The original columns come first, in their order; new ones are appended.
	if got := strings.Join(rows[0], ","); !strings.HasPrefix(got, wantHeader+",") {
		t.Fatalf("header\n  %s\nwant it to start with\n  %s", got, wantHeader)
	}

	jrec := s.get(t, "/api/v1/reports/cost?"+window)
	var report struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(jrec.Body.Bytes(), &report); err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(report.Items) || len(report.Items) != len(s.fake.cost.Items) {
		t.Fatalf("%d CSV rows, %d JSON items, %d in the report", len(rows)-1, len(report.Items), len(s.fake.cost.Items))
	}
	for i, row := range rows[1:] {
		item := report.Items[i]
		// The original columns, which are the JSON item's own fields.
		for j, col := range rows[0][:len(strings.Split(wantHeader, ","))] {
			cell := row[j]
			switch v := item[col].(type) {
			case string:
				if cell != v {
					t.Errorf("row %d %s: CSV %q, JSON %q", i, col, cell, v)
				}
			case float64:
				got, err := strconv.ParseFloat(cell, 64)
				if err != nil || got != v {
					t.Errorf("row %d %s: CSV %q, JSON %v (%v)", i, col, cell, v, err)
				}
			case nil:
				if col != "note" || cell != "" {
					t.Errorf("row %d %s: CSV %q, not in JSON", i, col, cell)
				}
			default:
				t.Errorf("row %d %s: JSON %T", i, col, v)
			}
		}
		// And both are exactly what analysis computed.
		it := s.fake.cost.Items[i]
		for col, want := range map[string]float64{"gb_seconds": it.GBSeconds, "request_usd": it.RequestUSD, "compute_usd": it.ComputeUSD, "total_usd": it.TotalUSD} {
			if got, _ := strconv.ParseFloat(row[slices.Index(rows[0], col)], 64); got != want {
				t.Errorf("row %d %s: CSV %v, report %v", i, col, got, want)
			}
		}
	}
}

// TestRequestLog: every request is one slog record with its status.
func TestRequestLog(t *testing.T) {
	s := newServer(t, sampleReports(), Options{})
	s.get(t, "/api/v1/functions?from=yesterday")
	var rec struct {
		Msg    string `json:"msg"`
		Level  string `json:"level"`
		Route  string `json:"route"`
		Status int    `json:"status"`
		Query  string `json:"query"`
	}
	lines := strings.Split(strings.TrimSpace(s.logs.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
		t.Fatalf("log %q: %v", s.logs, err)
	}
	if rec.Msg != "http request" || rec.Level != "INFO" || rec.Route != "/api/v1/functions" || rec.Status != 400 || rec.Query != "from=yesterday" {
		t.Errorf("request log %+v", rec)
	}
}
