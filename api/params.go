package api

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// tenantHeader names the tenant of a request; the query parameter "tenant"
// is the fallback for clients that cannot set headers (a browser link).
const tenantHeader = "X-Faasight-Tenant"

// Defaults and limits of request parameters, each with its reason.
const (
	// defaultWindow is what a dashboard opens with: the last day.
	defaultWindow = 24 * time.Hour
	// maxWindow is a year and a month, enough for year-over-year cost, and it
	// bounds how much one request can ask ClickHouse to scan.
	maxWindowDays = 400
	maxWindow     = maxWindowDays * 24 * time.Hour
	// maxTenantLen matches what fits comfortably in a ClickHouse key and a log line.
	maxTenantLen = 128
	// targetBuckets is about one point per few pixels of a dashboard panel.
	targetBuckets = 300
	// maxBuckets caps an explicit step as Prometheus's query API does: more
	// points than any screen shows only cost ClickHouse time and bandwidth.
	maxBuckets = 11000
	// minStep is ClickHouse's DateTime resolution.
	minStep = time.Second
	// maxUnixSeconds is 9999-12-31T23:59:59Z, the last instant RFC 3339
	// (and so the JSON of a report) can write.
	maxUnixSeconds = 253402300799
)

// paramError is a bad request parameter; its message names the parameter
// and says what is wrong with it.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func badParam(format string, args ...any) error {
	return &paramError{msg: fmt.Sprintf(format, args...)}
}

// parseWindow parses from and to; either may be empty. to defaults to now
// and from to one defaultWindow before to.
func parseWindow(fromS, toS string, now time.Time) (from, to time.Time, err error) {
	to = now.UTC()
	if toS != "" {
		if to, err = parseTime("to", toS); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	from = to.Add(-defaultWindow)
	if fromS != "" {
		if from, err = parseTime("from", fromS); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if !to.After(from) {
		if toS == "" {
			return time.Time{}, time.Time{}, badParam("to must be after from (to defaults to now)")
		}
		return time.Time{}, time.Time{}, badParam("to must be after from")
	}
	if w := to.Sub(from); w > maxWindow {
		return time.Time{}, time.Time{}, badParam("from, to: the window is %.1f days; at most %d days are allowed", w.Hours()/24, maxWindowDays)
	}
	return from, to, nil
}

// parseTime parses a time parameter given as RFC 3339 or unix seconds
// (integer or with a fraction); the result is in UTC.
func parseTime(param, s string) (time.Time, error) {
	if t, ok, err := parseUnix(param, s); ok {
		return t, err
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	hint := ""
	if strings.Contains(s, " ") {
		// An unencoded "+01:00" arrives as " 01:00".
		hint = ` (send "+" in a query string as %2B)`
	}
	return time.Time{}, badParam("%s: %q is neither RFC 3339 nor unix seconds%s", param, s, hint)
}

// parseUnix parses digits with an optional fraction as unix seconds; ok
// says whether s has that form at all.
func parseUnix(param, s string) (t time.Time, ok bool, err error) {
	secS, fracS, hasFrac := strings.Cut(s, ".")
	if !allDigits(secS) || (hasFrac && !allDigits(fracS)) {
		return time.Time{}, false, nil
	}
	sec, err := strconv.ParseInt(secS, 10, 64)
	if err != nil || sec > maxUnixSeconds {
		return time.Time{}, true, badParam("%s: %s is out of range (unix seconds up to %d)", param, s, maxUnixSeconds)
	}
	// Nanoseconds are the finest a time holds; further digits are dropped.
	fracS = (fracS + "000000000")[:9]
	nsec, _ := strconv.ParseInt(fracS, 10, 64) // nine digits always parse
	return time.Unix(sec, nsec).UTC(), true, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseStep parses the step of a series over a window; empty chooses one.
func parseStep(s string, window time.Duration) (time.Duration, error) {
	if s == "" {
		return defaultStep(window), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, badParam("step: %q is not a duration such as 10s, 1m, 1h or 24h", s)
	}
	if d < minStep {
		return 0, badParam("step: must be at least %s", minStep)
	}
	if d%time.Second != 0 {
		return 0, badParam("step: %s is not a whole number of seconds", d)
	}
	if n := ceilDiv(window, d); n > maxBuckets {
		return 0, badParam("step: %s over this window makes %d buckets; at most %d are allowed (choose a larger step)", d, n, maxBuckets)
	}
	return d, nil
}

// defaultStep is the smallest nice step that cuts the window into at most
// targetBuckets buckets; beyond a day, whole days.
func defaultStep(window time.Duration) time.Duration {
	nice := [...]time.Duration{
		time.Second, 10 * time.Second, time.Minute, 5 * time.Minute,
		15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour,
	}
	want := time.Duration(ceilDiv(window, targetBuckets))
	for _, s := range nice {
		if s >= want {
			return s
		}
	}
	const day = 24 * time.Hour
	return time.Duration(ceilDiv(want, day)) * day
}

func ceilDiv(a, b time.Duration) int64 {
	return int64((a + b - 1) / b)
}

// checkTenant validates a tenant named by param.
func checkTenant(param, v string) (string, error) {
	const allowed = "1 to 128 characters of A-Z, a-z, 0-9, '.', '_' and '-'"
	if len(v) > maxTenantLen {
		return "", badParam("%s: %d characters is too long; a tenant is %s", param, len(v), allowed)
	}
	ok := v != ""
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
	}
	if !ok {
		return "", badParam("%s: %q is not a valid tenant; a tenant is %s", param, v, allowed)
	}
	return v, nil
}
