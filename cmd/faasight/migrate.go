package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/faasight/faasight/deploy/localch"
	"github.com/faasight/faasight/ingest"
)

func newMigrateCommand() *cobra.Command {
	var dsn, dataDir string
	var chPort int
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade faasight's ClickHouse schema",
		Long: `migrate applies every schema migration not yet applied (idempotent; serve also
does this at start). Without --clickhouse it migrates the private ClickHouse in
--data-dir, starting and stopping it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			return migrate(cmd, dsn, dataDir, chPort)
		},
	}
	cmd.Flags().StringVar(&dsn, "clickhouse", "", "ClickHouse DSN (native protocol); empty uses the private ClickHouse in --data-dir")
	cmd.Flags().StringVar(&dataDir, "data-dir", ".faasight", "directory of the private ClickHouse")
	cmd.Flags().IntVar(&chPort, "clickhouse-port", 19000, "native port of the private ClickHouse")
	addConfigFlag(cmd)
	return cmd
}

func migrate(cmd *cobra.Command, dsn, dataDir string, chPort int) error {
	ctx := cmd.Context()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if dsn == "" {
		srv, err := localch.Start(ctx, localch.Options{Dir: dataDir, TCPPort: chPort, HTTPPort: chPort + 1, Logger: logger})
		if err != nil {
			return err
		}
		defer srv.Stop() //nolint:errcheck // best effort on the way out
		dsn = srv.DSN(ingest.DefaultDatabase)
	}
	conn, db, err := ingest.Open(dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	applied, err := ingest.Migrate(ctx, conn, db)
	if err != nil {
		return err
	}
	version, err := ingest.SchemaVersion(context.WithoutCancel(ctx), conn, db)
	if err != nil {
		return err
	}
	for _, m := range applied {
		fmt.Fprintf(cmd.OutOrStdout(), "applied %04d_%s\n", m.Version, m.Name)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "database %s is at schema version %d\n", db, version)
	return nil
}
