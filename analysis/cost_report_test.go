package analysis

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The attribute query reads spans through FINAL too: a span stored twice
// must not count its invocation twice.
func TestCostReportAttrsQueryReadsSpansFinal(t *testing.T) {
	sql, err := renderQueries("faasight_db")
	if err != nil {
		t.Fatal(err)
	}
	if q := sql["cost_rows_attrs"]; !strings.Contains(q, "`faasight_db`.spans FINAL") {
		t.Errorf("cost_rows_attrs does not read spans FINAL:\n%s", q)
	}
}

func TestParseGroupBy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{"", DefaultGroupBy, ""},
		{" function , attr.tenant.id,day", []string{"function", "attr.tenant.id", "day"}, ""},
		{"month,memory,trigger,version,region,architecture,account,provider", []string{"month", "memory", "trigger", "version", "region", "architecture", "account", "provider"}, ""},
		{"function,function", nil, `"function" is named twice`},
		{"attr.", nil, `"attr." is not attr.<key>`},
		{"attr." + strings.Repeat("k", 129), nil, "is not attr.<key>"},
		{"attr.a'b", nil, "is not attr.<key>"},
		{"attr.a,attr.b,attr.c,attr.d,attr.e", nil, "5 attributes, at most 4"},
		{"Function", nil, `"Function" is not a group key`},
	} {
		got, err := ParseGroupBy(tc.in)
		if tc.err != "" {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.in, got, err, tc.want)
		}
	}
}
