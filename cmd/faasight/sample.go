package main

import (
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/faasight/faasight/loadgen/sample"
)

func newSampleCommand() *cobra.Command {
	var (
		opts   sample.Options
		count  int
		window time.Duration
		seed   uint64
	)
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "Send demo function invocations to a faasight over OTLP",
		Long: `sample sends synthetic invocations of three demo functions (two on AWS Lambda,
one on Google Cloud) as OpenTelemetry spans, spread over the last --window, and
prints what it sent so the API's answers can be checked against it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			if count <= 0 {
				return fmt.Errorf("--count must be positive")
			}
			if window <= 0 {
				return fmt.Errorf("--window must be positive")
			}
			fns := sample.DefaultFunctions()
			invs := sample.Generate(seed, fns, count, time.Now().Add(-window), window)
			if err := sample.Send(cmd.Context(), opts, fns, invs); err != nil {
				return err
			}
			printTruth(cmd, invs)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Endpoint, "endpoint", "127.0.0.1:4317", "faasight's OTLP address (host:port)")
	f.StringVar(&opts.Protocol, "protocol", "grpc", "OTLP protocol: grpc or http")
	f.StringVar(&opts.Tenant, "tenant", "", "faasight.tenant resource attribute (empty: the server's default tenant)")
	f.IntVar(&count, "count", 3000, "number of invocations")
	f.DurationVar(&window, "window", time.Hour, "spread the invocations over this much of the recent past")
	f.Uint64Var(&seed, "seed", uint64(time.Now().UnixNano()), "random seed (same seed, same invocations)")
	addConfigFlag(cmd)
	return cmd
}

func printTruth(cmd *cobra.Command, invs []sample.Invocation) {
	type tally struct{ invocations, cold, errors int }
	by := map[string]*tally{}
	for _, inv := range invs {
		t := by[inv.Function]
		if t == nil {
			t = &tally{}
			by[inv.Function] = t
		}
		t.invocations++
		if inv.ColdStart {
			t.cold++
		}
		if inv.Error {
			t.errors++
		}
	}
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	sort.Strings(names)
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "FUNCTION\tINVOCATIONS\tCOLD STARTS\tERRORS")
	for _, n := range names {
		t := by[n]
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\n", n, t.invocations, t.cold, t.errors)
	}
	w.Flush()
}
