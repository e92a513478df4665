package validate

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/faasight/faasight/analysis/pricing"
)

// Check computes the truth from records, waits (up to wait) until faasight
// has received as many invocations as the truth holds — spans are still in
// flight right after a run — and compares.
func Check(ctx context.Context, client *http.Client, base, tenant string, records []Record, from, to time.Time,
	catalog *pricing.Catalog, wait time.Duration) (Report, error) {
	expected, err := ExpectedFrom(records, catalog)
	if err != nil {
		return Report{}, err
	}
	var want uint64
	for _, e := range expected {
		want += e.Invocations
	}
	deadline := time.Now().Add(wait)
	for {
		reported, err := Fetch(ctx, client, base, tenant, from, to)
		if err != nil {
			return Report{}, err
		}
		var got uint64
		for _, f := range reported {
			got += f.Invocations
		}
		if got >= want || time.Now().After(deadline) {
			return Compare(expected, reported, from, to), nil
		}
		select {
		case <-ctx.Done():
			return Report{}, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// WriteTable prints the comparison: expected, reported, difference.
func WriteTable(w io.Writer, rep Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "FUNCTION\tMETRIC\tEXPECTED\tREPORTED\tDIFF\t\t")
	for _, r := range rep.Rows {
		mark := "ok"
		if !r.OK {
			mark = "MISMATCH"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Function, r.Metric, num(r.Expected), num(r.Reported), num(r.Diff), mark)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "PASS: every number faasight reported matches the ground truth"
	if !rep.OK {
		verdict = "FAIL: faasight's numbers differ from the ground truth"
	}
	_, err := fmt.Fprintf(w, "%s (window %s to %s)\n", verdict, rep.From.Format(time.RFC3339Nano), rep.To.Format(time.RFC3339Nano))
	return err
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', 12, 64) }
