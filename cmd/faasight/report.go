package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/faasight/faasight/analysis"
)

// newReportCommand is "faasight report": the reports of the REST API on
// the command line. Each report is one subcommand; adding one is one line
// here.
func newReportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Print faasight's reports (cost, ...) from its REST API",
		Long: `report asks a running faasight (see --api) for a report and prints it as a
table, or as the API's JSON or CSV. It never opens ClickHouse itself.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newReportCostCommand(), newReportCompareCommand(), newReportRightsizingCommand())
	return cmd
}

func newReportCostCommand() *cobra.Command {
	var (
		o                         whatIfOptions
		groupBy, billing, catalog string
		focus                     bool
	)
	cmd := &cobra.Command{
		Use:   "cost",
		Short: "What the window cost, grouped as asked, at list or effective prices",
		Long: `cost asks faasight's REST API (GET /api/v1/reports/cost) what the window's
invocations cost and prints one row per group with its line items, the total
and a run-rate projection of the month the window ends in.

  --group-by  comma-separated: function, version, region, architecture, memory,
              trigger, day, month, provider, account, attr.<key> (a span or
              resource attribute, e.g. attr.tenant.id)
  --billing   list (every unit at list price, no free tier) or effective
              (monthly tiers and free tiers per account and calendar month)
  --catalog   the price catalog (aws-lambda, gcp-functions-gen2, ...)
  --json, --csv, --focus  print the API's JSON, CSV or FinOps FOCUS CSV`,
		Example: `  faasight report cost --group-by function,attr.tenant.id --billing effective
  faasight report cost --from 2026-01-01T00:00:00Z --to 2026-02-01T00:00:00Z --focus > focus.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if focus && (o.json || o.csv) {
				return errors.New("--focus excludes --json and --csv; choose one")
			}
			q := url.Values{}
			for k, v := range map[string]string{"group_by": groupBy, "billing": billing, "catalog": catalog} {
				if v != "" {
					q.Set(k, v)
				}
			}
			switch {
			case o.csv:
				q.Set("format", "csv")
			case focus:
				q.Set("format", "focus")
			}
			body, err := o.get(cmd, "/api/v1/reports/cost", q)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if o.json {
				return printJSON(out, body)
			}
			if o.csv || focus {
				_, err := out.Write(body)
				return err
			}
			var rep analysis.CostReport
			if err := json.Unmarshal(body, &rep); err != nil {
				return fmt.Errorf("faasight API: cost report: %w", err)
			}
			return costTable(out, rep)
		},
	}
	o.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&groupBy, "group-by", "", "group keys, comma-separated (empty: the API's default, one row per function configuration)")
	f.StringVar(&billing, "billing", "", "list or effective (empty: list)")
	f.StringVar(&catalog, "catalog", "", "price catalog by name (empty: aws-lambda)")
	f.BoolVar(&focus, "focus", false, "print FinOps FOCUS 1.x CSV instead of a table")
	return cmd
}

// costTable prints one row per item: its group values, usage and lines.
func costTable(w io.Writer, rep analysis.CostReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	usd := func(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
	header := make([]string, 0, len(rep.GroupBy)+8)
	for _, k := range rep.GroupBy {
		header = append(header, strings.ToUpper(k))
	}
	header = append(header, "INVOCATIONS", "GB-S", "REQUESTS", "COMPUTE", "INIT", "OTHER", "CREDIT", "TOTAL USD", "NOTE")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, it := range rep.Items {
		row := make([]string, 0, len(header))
		for _, k := range rep.GroupBy {
			v := it.Group[k]
			if v == "" {
				v = "-"
			}
			row = append(row, v)
		}
		lt := analysis.LineTotals{}
		if it.LineUSD != nil {
			lt = *it.LineUSD
		}
		row = append(row, strconv.FormatUint(it.Invocations, 10), strconv.FormatFloat(it.GBSeconds, 'f', 3, 64),
			usd(lt.Requests), usd(lt.Compute), usd(lt.Init), usd(lt.ProvisionedConcurrency+lt.Storage+lt.Subscription),
			usd(lt.FreeTierCredit), usd(it.TotalUSD), it.Note)
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\ntotal %s %s (%s billing, catalog %s of %s), %s to %s\n", usd(rep.TotalUSD), rep.Currency,
		rep.Billing, rep.Catalog.Name, rep.Catalog.EffectiveDate, rep.From.Format("2006-01-02T15:04:05Z07:00"), rep.To.Format("2006-01-02T15:04:05Z07:00"))
	if p := rep.Projection; p != nil {
		fmt.Fprintf(w, "projected %s: %s %s (month to date %s)\n  %s\n", p.Month, usd(p.ProjectedTotalUSD), rep.Currency, usd(p.MonthToDateUSD), p.Basis)
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}
