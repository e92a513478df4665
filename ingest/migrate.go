package ingest

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one versioned schema step: migrations/NNNN_name.sql.
type Migration struct {
	Version    uint32
	Name       string
	Statements []string // rendered for one database
}

// Migrations returns the schema steps rendered for database db, in order.
func Migrations(db string) ([]Migration, error) {
	if err := ValidateDatabaseName(db); err != nil {
		return nil, err
	}
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("ingest: list migrations: %w", err)
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".sql")
		num, label, ok := strings.Cut(base, "_")
		v, err := strconv.ParseUint(num, 10, 32)
		if !ok || err != nil {
			return nil, fmt.Errorf("ingest: migration %s: name must be NNNN_label.sql", name)
		}
		text, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("ingest: read migration %s: %w", name, err)
		}
		stmts, err := renderStatements(name, string(text), db)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: uint32(v), Name: label, Statements: stmts})
	}
	return out, nil
}

// renderStatements fills in the quoted database name and splits the file
// into statements. Comment lines are dropped first so that a ';' inside a
// comment does not split a statement.
func renderStatements(name, text, db string) ([]string, error) {
	tmpl, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("ingest: parse migration %s: %w", name, err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, map[string]string{"DB": quoteIdent(db)}); err != nil {
		return nil, fmt.Errorf("ingest: render migration %s: %w", name, err)
	}
	var code strings.Builder
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		code.WriteString(line)
		code.WriteByte('\n')
	}
	var stmts []string
	for _, s := range strings.Split(code.String(), ";") {
		if s = strings.TrimSpace(s); s != "" {
			stmts = append(stmts, s)
		}
	}
	return stmts, nil
}

// Migrate creates database db if needed and applies every migration not yet
// recorded in db.schema_migrations. Each statement is idempotent
// (IF NOT EXISTS), so two processes migrating at once, or a migration cut
// off half-way, leave a correct schema behind when run again.
func Migrate(ctx context.Context, conn driver.Conn, db string) (applied []Migration, err error) {
	migs, err := Migrations(db)
	if err != nil {
		return nil, err
	}
	q := quoteIdent(db)
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+q); err != nil {
		return nil, fmt.Errorf("ingest: create database %s: %w", db, err)
	}
	if err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+q+".schema_migrations "+
		"(version UInt32, name String, applied_at DateTime) ENGINE = MergeTree ORDER BY version"); err != nil {
		return nil, fmt.Errorf("ingest: create schema_migrations: %w", err)
	}
	done, err := appliedVersions(ctx, conn, q)
	if err != nil {
		return nil, err
	}
	for _, m := range migs {
		if done[m.Version] {
			continue
		}
		for _, stmt := range m.Statements {
			if err := conn.Exec(ctx, stmt); err != nil {
				return applied, fmt.Errorf("ingest: migration %04d_%s: %w", m.Version, m.Name, err)
			}
		}
		if err := recordMigration(ctx, conn, q, m); err != nil {
			return applied, fmt.Errorf("ingest: record migration %04d_%s: %w", m.Version, m.Name, err)
		}
		applied = append(applied, m)
	}
	return applied, nil
}

// recordMigration uses a native batch: ClickHouse 18.16 leaves an INSERT
// with inline VALUES sent through Exec waiting for a data block.
func recordMigration(ctx context.Context, conn driver.Conn, qdb string, m Migration) error {
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+qdb+".schema_migrations (version, name, applied_at) VALUES")
	if err != nil {
		return err
	}
	if err := batch.Append(m.Version, m.Name, time.Now()); err != nil {
		batch.Abort() //nolint:errcheck // the append error is the one to report
		return err
	}
	return batch.Send()
}

// SchemaVersion reports the highest migration applied to db (0 if none).
func SchemaVersion(ctx context.Context, conn driver.Conn, db string) (uint32, error) {
	if err := ValidateDatabaseName(db); err != nil {
		return 0, err
	}
	done, err := appliedVersions(ctx, conn, quoteIdent(db))
	if err != nil {
		return 0, err
	}
	var max uint32
	for v := range done {
		max = maxU32(max, v)
	}
	return max, nil
}

func maxU32(a, b uint32) uint32 {
	if a > b {
		return a
	}
	return b
}

func appliedVersions(ctx context.Context, conn driver.Conn, qdb string) (map[uint32]bool, error) {
	rows, err := conn.Query(ctx, "SELECT DISTINCT version FROM "+qdb+".schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("ingest: read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[uint32]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("ingest: read schema_migrations: %w", err)
		}
		done[v] = true
	}
	return done, rows.Err()
}
