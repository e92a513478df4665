package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/faasight/faasight/analysis"
)

// whatIfOptions are what the compare and right-sizing commands share: they
// are clients of the REST API and print its answer as a table, JSON or CSV.
type whatIfOptions struct {
	api, tenant, from, to string
	json, csv             bool
	timeout               time.Duration
}

func (o *whatIfOptions) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.api, "api", "http://127.0.0.1:8080", "faasight's REST API")
	f.StringVar(&o.tenant, "tenant", "", "tenant to report on (empty: the server's default)")
	f.StringVar(&o.from, "from", "", "start of the window, RFC 3339 or unix seconds (empty: 24 hours before --to)")
	f.StringVar(&o.to, "to", "", "end of the window, RFC 3339 or unix seconds (empty: now)")
	f.BoolVar(&o.json, "json", false, "print the API's JSON answer instead of a table")
	f.BoolVar(&o.csv, "csv", false, "print CSV instead of a table")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "how long to wait for the API's answer")
	addConfigFlag(cmd)
}

// get fetches path from the API with the window (and extra parameters)
// and returns the body of a 200; any other status is an error carrying the
// API's message.
func (o *whatIfOptions) get(cmd *cobra.Command, path string, extra url.Values) ([]byte, error) {
	if o.json && o.csv {
		return nil, errors.New("--json and --csv exclude each other; choose one")
	}
	base, err := url.Parse(strings.TrimRight(o.api, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("--api %q is not a URL such as http://127.0.0.1:8080", o.api)
	}
	q := url.Values{}
	for k, vs := range extra {
		q[k] = vs
	}
	if o.from != "" {
		q.Set("from", o.from)
	}
	if o.to != "" {
		q.Set("to", o.to)
	}
	u := base.JoinPath(path)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", u, err)
	}
	if o.tenant != "" {
		req.Header.Set("X-Faasight-Tenant", o.tenant)
	}
	resp, err := (&http.Client{Timeout: o.timeout}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("faasight API at %s: %w (is faasight serve running? see --api)", o.api, err)
	}
	defer resp.Body.Close()
	// Reports are small; the bound only guards against a wrong --api.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("faasight API: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("faasight API: %s: %s", resp.Status, e.Error)
		}
		return nil, fmt.Errorf("faasight API: %s", resp.Status)
	}
	return body, nil
}

// printJSON writes the API's answer indented.
func printJSON(w io.Writer, body []byte) error {
	var b bytes.Buffer
	if err := json.Indent(&b, body, "", "  "); err != nil {
		return fmt.Errorf("faasight API: answer is not JSON: %w", err)
	}
	_, err := fmt.Fprintln(w, b.String())
	return err
}

func newReportCompareCommand() *cobra.Command {
	var (
		o        whatIfOptions
		function string
	)
	cmd := &cobra.Command{
		Use:   "compare",
		Short: "What the window's workload would cost on every provider, side by side",
		Long: `compare asks faasight's REST API (GET /api/v1/reports/cost/compare) to price
the workload observed in the window — per function: invocations, per-invocation
durations re-rounded to each provider's billing step (Azure Flex Consumption:
folded into instance activity periods), memory, architecture — on AWS Lambda
x86_64 and arm64, Cloud Run functions (2nd gen), Cloud Functions 1st gen,
Azure Functions Consumption and Flex Consumption, and Cloudflare Workers, at
list prices. The table has one column per scenario; the assumptions follow it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			extra := url.Values{}
			if function != "" {
				extra.Set("function", function)
			}
			body, err := o.get(cmd, "/api/v1/reports/cost/compare", extra)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if o.json {
				return printJSON(out, body)
			}
			var rep analysis.CompareReport
			if err := json.Unmarshal(body, &rep); err != nil {
				return fmt.Errorf("faasight API: compare answer: %w", err)
			}
			if o.csv {
				return compareCSV(out, rep)
			}
			return compareTable(out, rep)
		},
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&function, "function", "", "only this function (empty: every function)")
	return cmd
}

func newReportRightsizingCommand() *cobra.Command {
	var o whatIfOptions
	cmd := &cobra.Command{
		Use:   "rightsizing",
		Short: "Recommended memory sizes and the arm64 switch, with monthly savings",
		Long: `rightsizing asks faasight's REST API (GET /api/v1/reports/rightsizing) for,
per function configuration: the configured memory, the peak memory used (p99
and max), a recommended size (p99 × 1.2 rounded up to the provider's step, at
least 128 MB), the x86_64→arm64 switch, and the estimated monthly saving of
each (the window's list cost scaled to 30 days). The rules and caveats follow
the table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			body, err := o.get(cmd, "/api/v1/reports/rightsizing", nil)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if o.json {
				return printJSON(out, body)
			}
			var rep analysis.RightsizingReport
			if err := json.Unmarshal(body, &rep); err != nil {
				return fmt.Errorf("faasight API: rightsizing answer: %w", err)
			}
			if o.csv {
				return rightsizingCSV(out, rep)
			}
			return rightsizingTable(out, rep)
		},
	}
	o.flags(cmd)
	return cmd
}

// usd formats money for a table: four significant digits, because
// per-invocation prices are millionths of a dollar.
func usd(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// exact formats a number for CSV so that it parses back to the same float.
func exact(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func window(from, to time.Time) string {
	return fmt.Sprintf("%s to %s", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
}

func compareTable(w io.Writer, rep analysis.CompareReport) error {
	fmt.Fprintf(w, "What-if, %s billing, %s, %s\n\n", rep.Billing, rep.Currency, window(rep.From, rep.To))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"FUNCTION", "PROVIDER/REGION", "ARCH", "MEMORY_MB", "INVOCATIONS"}
	for _, s := range rep.Scenarios {
		head = append(head, strings.ToUpper(s.Key))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, it := range rep.Items {
		row := []string{it.Function, it.Provider + "/" + it.Region, it.Architecture,
			strconv.FormatUint(uint64(it.MemoryMB), 10), strconv.FormatUint(it.Invocations, 10)}
		for _, c := range it.Costs {
			row = append(row, usd(c.TotalUSD))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	total := []string{"TOTAL", "", "", "", ""}
	for _, s := range rep.Scenarios {
		total = append(total, usd(s.TotalUSD))
	}
	fmt.Fprintln(tw, strings.Join(total, "\t"))
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range rep.Scenarios {
		fmt.Fprintf(w, "\n%s: %s, prices of %s (%s)", s.Key, s.Catalog.Name, s.Catalog.EffectiveDate, s.Catalog.Source)
		for _, n := range s.Notes {
			fmt.Fprintf(w, "\n  - %s", n)
		}
	}
	fmt.Fprintln(w, "\n\nAssumptions:")
	for _, a := range rep.Assumptions {
		fmt.Fprintf(w, "  - %s\n", a)
	}
	return nil
}

func compareCSV(w io.Writer, rep analysis.CompareReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"function", "provider", "region", "architecture", "memory_mb", "invocations",
		"scenario", "scenario_region", "scenario_memory_mb", "billed_duration_ms", "request_usd", "compute_usd", "total_usd", "note"})
	for _, it := range rep.Items {
		for _, c := range it.Costs {
			_ = cw.Write([]string{it.Function, it.Provider, it.Region, it.Architecture,
				strconv.FormatUint(uint64(it.MemoryMB), 10), strconv.FormatUint(it.Invocations, 10),
				c.Scenario, c.Region, strconv.FormatUint(uint64(c.MemoryMB), 10), strconv.FormatUint(c.BilledDurationMs, 10),
				exact(c.RequestUSD), exact(c.ComputeUSD), exact(c.TotalUSD), c.Note})
		}
	}
	cw.Flush()
	return cw.Error()
}

func rightsizingTable(w io.Writer, rep analysis.RightsizingReport) error {
	fmt.Fprintf(w, "Right-sizing, %s billing, %s, %s; monthly = window × %s\n\n", rep.Billing, rep.Currency, window(rep.From, rep.To), strconv.FormatFloat(rep.MonthlyFactor, 'g', 6, 64))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tPROVIDER/REGION\tARCH\tMEMORY_MB\tINVOCATIONS\tUSED_P99_MB\tUSED_MAX_MB\tMONTHLY_USD\tRECOMMENDED_MB\tMEMORY_SAVING/MO\tARM64_SAVING/MO")
	dash := func(ok bool, s string) string {
		if !ok {
			return "-"
		}
		return s
	}
	for _, it := range rep.Items {
		known := it.MemorySamples > 0
		rec, memSave, armSave := "-", "-", "-"
		if it.Memory != nil {
			rec, memSave = strconv.FormatUint(uint64(it.Memory.RecommendedMB), 10), usd(it.Memory.MonthlySavingUSD)
		}
		if it.ArchitectureSwitch != nil {
			armSave = usd(it.ArchitectureSwitch.MonthlySavingUSD)
		}
		fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Function, it.Provider, it.Region, it.Architecture,
			it.MemoryMB, it.Invocations, dash(known, strconv.FormatUint(uint64(it.MemoryUsedP99MB), 10)),
			dash(known, strconv.FormatUint(uint64(it.MemoryUsedMaxMB), 10)), usd(it.MonthlyCostUSD), rec, memSave, armSave)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, it := range rep.Items {
		for _, n := range it.Notes {
			fmt.Fprintf(w, "\n%s (%s MB): %s", it.Function, strconv.FormatUint(uint64(it.MemoryMB), 10), n)
		}
	}
	fmt.Fprintln(w, "\n\nAssumptions:")
	for _, a := range rep.Assumptions {
		fmt.Fprintf(w, "  - %s\n", a)
	}
	return nil
}

func rightsizingCSV(w io.Writer, rep analysis.RightsizingReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"function", "provider", "region", "architecture", "memory_mb", "invocations", "memory_samples",
		"memory_used_p99_mb", "memory_used_max_mb", "window_cost_usd", "monthly_cost_usd", "recommended_mb",
		"memory_monthly_saving_usd", "arm64_monthly_saving_usd", "notes"})
	for _, it := range rep.Items {
		rec, memSave, armSave := "", "", ""
		if it.Memory != nil {
			rec, memSave = strconv.FormatUint(uint64(it.Memory.RecommendedMB), 10), exact(it.Memory.MonthlySavingUSD)
		}
		if it.ArchitectureSwitch != nil {
			armSave = exact(it.ArchitectureSwitch.MonthlySavingUSD)
		}
		_ = cw.Write([]string{it.Function, it.Provider, it.Region, it.Architecture,
			strconv.FormatUint(uint64(it.MemoryMB), 10), strconv.FormatUint(it.Invocations, 10), strconv.FormatUint(it.MemorySamples, 10),
			strconv.FormatUint(uint64(it.MemoryUsedP99MB), 10), strconv.FormatUint(uint64(it.MemoryUsedMaxMB), 10),
			exact(it.WindowCostUSD), exact(it.MonthlyCostUSD), rec, memSave, armSave, strings.Join(it.Notes, "; ")})
	}
	cw.Flush()
	return cw.Error()
}
