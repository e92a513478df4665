package api

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultStep(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		window time.Duration
		want   time.Duration
	}{
		{time.Second, time.Second},
		{300 * time.Second, time.Second},
		{301 * time.Second, 10 * time.Second},
		{50 * time.Minute, 10 * time.Second},
		{51 * time.Minute, time.Minute},
		{time.Hour, time.Minute},
		{5 * time.Hour, time.Minute},
		{6 * time.Hour, 5 * time.Minute},
		{day, 5 * time.Minute},
		{25 * time.Hour, 5 * time.Minute},
		{25*time.Hour + time.Second, 15 * time.Minute},
		{7 * day, time.Hour},
		{30 * day, 6 * time.Hour},
		{75 * day, 6 * time.Hour},
		{76 * day, day},
		{300 * day, day},
		{301 * day, 2 * day},
		{400 * day, 2 * day},
	}
	for _, tc := range tests {
		got := defaultStep(tc.window)
		if got != tc.want {
			t.Errorf("defaultStep(%v) = %v, want %v", tc.window, got, tc.want)
		}
		if n := ceilDiv(tc.window, got); n > targetBuckets {
			t.Errorf("defaultStep(%v) = %v makes %d buckets, more than %d", tc.window, got, n, targetBuckets)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{in: "0", want: time.Unix(0, 0)},
		{in: "1795392000", want: time.Unix(1795392000, 0)},
		{in: "1795392000.5", want: time.Unix(1795392000, 5e8)},
		{in: "1795392000.123456789123", want: time.Unix(1795392000, 123456789)},
		{in: "253402300799", want: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{in: "2026-11-23T00:00:00Z", want: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		{in: "2026-11-23T00:00:00.000000001Z", want: time.Date(2026, 11, 23, 0, 0, 0, 1, time.UTC)},
		{in: "2026-11-22T19:00:00-05:00", want: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		{in: "253402300800", wantErr: "from: 253402300800 is out of range"},
		{in: "99999999999999999999", wantErr: "from: 99999999999999999999 is out of range"},
		{in: "", wantErr: `from: "" is neither RFC 3339 nor unix seconds`},
		{in: "1e9", wantErr: `from: "1e9" is neither`},
		{in: ".5", wantErr: `from: ".5" is neither`},
		{in: "1.2.3", wantErr: `from: "1.2.3" is neither`},
		{in: "+1795392000", wantErr: `from: "+1795392000" is neither`},
		{in: "2026-11-23", wantErr: `from: "2026-11-23" is neither`},
		{in: "2026-11-23T00:00:00", wantErr: `from: "2026-11-23T00:00:00" is neither`},
	}
	for _, tc := range tests {
		got, err := parseTime("from", tc.in)
		if tc.wantErr != "" {
			var pe *paramError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseTime(%q) = %v, %v; want a parameter error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v in UTC", tc.in, got, err, tc.want.UTC())
		}
	}
}

func TestCheckTenant(t *testing.T) {
	for _, ok := range []string{"default", "a", "A-Z_a.z-0.9", strings.Repeat("x", 128)} {
		if got, err := checkTenant("tenant", ok); err != nil || got != ok {
			t.Errorf("checkTenant(%q) = %q, %v; want it accepted", ok, got, err)
		}
	}
	for _, bad := range []string{"", " a", "a/b", "a:b", "ä", "a\x00", "tenant\n", strings.Repeat("x", 129)} {
		if _, err := checkTenant("tenant", bad); err == nil || !strings.HasPrefix(err.Error(), "tenant: ") {
			t.Errorf("checkTenant(%q) = %v; want an error naming the parameter", bad, err)
		}
	}
}
