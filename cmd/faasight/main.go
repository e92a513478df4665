// Command faasight is faasight's single binary: `serve` runs the OTLP
// front door, the REST API and (by default) a private ClickHouse;
// `migrate` applies the schema; `sample` sends demo invocations.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time: -ldflags "-X main.version=..."
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "faasight:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "faasight",
		Short: "Observability and cost analysis for serverless functions",
		Long: `faasight receives OpenTelemetry traces from serverless functions, stores them
in ClickHouse and answers: how often do functions cold-start, what are their
latency percentiles, and what do they cost.

Every flag can also be set as an environment variable FAASIGHT_<FLAG>
(e.g. FAASIGHT_API_ADDR) or as a key in the YAML file given with --config;
flags win over the environment, which wins over the file.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand(), newMigrateCommand(), newSampleCommand(), newLoadgenCommand(), newBenchCommand(), newReportCommand(), newVersionCommand())
	return root
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print faasight's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "faasight", version)
			return nil
		},
	}
}
