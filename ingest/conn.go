package ingest

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Conn is a ClickHouse connection (native protocol).
type Conn = driver.Conn

// DefaultDatabase holds faasight's tables when the DSN names no database.
const DefaultDatabase = "faasight"

var databaseName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// ValidateDatabaseName rejects names that would need more than plain
// quoting; database names are rendered into SQL once, at start.
func ValidateDatabaseName(db string) error {
	if !databaseName.MatchString(db) {
		return fmt.Errorf("ingest: database name %q: use letters, digits and '_' (at most 64, not starting with a digit)", db)
	}
	return nil
}

func quoteIdent(name string) string { return "`" + name + "`" }

// Open connects to ClickHouse over the native protocol (the HTTP protocol
// does not work against 18.16) and returns the connection and the database
// faasight's tables live in: the DSN's path, or DefaultDatabase.
//
// Open does not wait for the server: clickhouse-go dials on first use, so a
// ClickHouse that is down now only delays the first query.
//
// The connection itself is opened without a database, because the
// database may not exist before the first migration; every query names
// its tables as db.table.
func Open(dsn string) (driver.Conn, string, error) {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, "", fmt.Errorf("ingest: ClickHouse DSN %q: %w (expected clickhouse://[user[:password]@]host:9000[/database])", dsn, err)
	}
	db := opts.Auth.Database
	if db == "" {
		db = DefaultDatabase
	}
	if err := ValidateDatabaseName(db); err != nil {
		return nil, "", err
	}
	opts.Auth.Database = ""
	if opts.DialTimeout == 0 || opts.DialTimeout > 10*time.Second {
		opts.DialTimeout = 5 * time.Second
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, "", fmt.Errorf("ingest: open ClickHouse %s: %w", strings.Join(opts.Addr, ","), err)
	}
	return conn, db, nil
}
