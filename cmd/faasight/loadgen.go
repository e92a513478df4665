package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/faasight/faasight/analysis/pricing"
	"github.com/faasight/faasight/loadgen/run"
	"github.com/faasight/faasight/loadgen/scenario"
	"github.com/faasight/faasight/loadgen/validate"
)

type validateOptions struct {
	api    string
	tenant string
	report string
	wait   time.Duration
}

func (v *validateOptions) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&v.api, "api", "http://127.0.0.1:8080", "faasight's REST API")
	cmd.Flags().StringVar(&v.tenant, "tenant", "", "tenant to ask for (empty: the server's default)")
	cmd.Flags().StringVar(&v.report, "report", "", "also write the comparison as JSON to this file")
	cmd.Flags().DurationVar(&v.wait, "wait", time.Minute, "how long to wait for faasight to have received every invocation")
}

func newLoadgenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "loadgen",
		Short: "Run reference functions under load and check faasight's numbers against the truth",
	}
	cmd.AddCommand(newLoadgenRunCommand(), newLoadgenValidateCommand())
	return cmd
}

func newLoadgenRunCommand() *cobra.Command {
	var (
		v            validateOptions
		doValidate   bool
		otlp, ledger string
		functionsDir string
	)
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run a scenario against a running faasight",
		Long: `run deploys the scenario's reference functions on the local Lambda runtime
(one process per execution environment: real cold starts), invokes them on the
scenario's schedule, writes every invocation to a ledger (the ground truth) and
sends each invocation's platform span to faasight over OTLP/HTTP. With
--validate it then compares what faasight's REST API reports with the ledger
and exits non-zero on any mismatch.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			s, err := scenario.Load(args[0])
			if err != nil {
				return err
			}
			if ledger == "" {
				ledger = fmt.Sprintf("loadgen-%s-%s.jsonl", s.Name, time.Now().UTC().Format("20060102T150405Z"))
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "running %s for %v (ledger %s)\n", s.Name, s.Duration.Duration, ledger)
			sum, err := run.Run(cmd.Context(), run.Options{Scenario: s, ScenarioDir: filepath.Dir(args[0]),
				FunctionsDir: functionsDir, OTLPEndpoint: otlp, LedgerPath: ledger, Progress: cmd.ErrOrStderr(),
				Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%d invocations (%d cold starts, %d errors), %d throttled; worst schedule lag %v\n",
				sum.Invocations, sum.ColdStarts, sum.Errors, sum.Throttled, sum.MaxLag.Round(time.Millisecond))
			if !doValidate {
				return nil
			}
			return runValidation(cmd.Context(), out, ledger, v)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&doValidate, "validate", false, "compare faasight's answers with the ledger afterwards")
	f.StringVar(&otlp, "otlp", "127.0.0.1:4318", "faasight's OTLP/HTTP address (host:port)")
	f.StringVar(&ledger, "ledger", "", "ledger file (default loadgen-<scenario>-<time>.jsonl)")
	f.StringVar(&functionsDir, "functions-dir", "bin/functions", "directory of the built reference functions (make functions)")
	v.flags(cmd)
	addConfigFlag(cmd)
	return cmd
}

func newLoadgenValidateCommand() *cobra.Command {
	var v validateOptions
	cmd := &cobra.Command{
		Use:   "validate LEDGER",
		Short: "Compare what faasight reports with a run's ledger",
		Long: `validate computes from a ledger what faasight must report — invocations, errors
and cold starts exactly, p50/p90/p99 by nearest rank, cost with the same price
catalog to 1e-9 USD — asks the REST API for the ledger's window, prints expected
vs reported, and exits non-zero on any mismatch.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			return runValidation(cmd.Context(), cmd.OutOrStdout(), args[0], v)
		},
	}
	v.flags(cmd)
	addConfigFlag(cmd)
	return cmd
}

// errMismatch makes the command exit non-zero after the table is printed.
var errMismatch = errors.New("validation failed: faasight's numbers differ from the ledger (see the table)")

func runValidation(ctx context.Context, out io.Writer, ledger string, v validateOptions) error {
	records, from, to, err := validate.FromLedger(ledger)
	if err != nil {
		return err
	}
	catalog, err := pricing.Load()
	if err != nil {
		return err
	}
	rep, err := validate.Check(ctx, &http.Client{Timeout: 30 * time.Second}, v.api, v.tenant, records, from, to, catalog, v.wait)
	if err != nil {
		return err
	}
	if err := validate.WriteTable(out, rep); err != nil {
		return err
	}
	if v.report != "" {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(v.report, data, 0o644); err != nil {
			return err
		}
	}
	if !rep.OK {
		return errMismatch
	}
	return nil
}
