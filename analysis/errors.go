package analysis

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// ClickHouse exception codes that mean "not now" rather than "wrong query".
const (
	codeUnknownTable      = 60  // UNKNOWN_TABLE: the schema is not migrated yet
	codeUnknownDatabase   = 81  // UNKNOWN_DATABASE: likewise
	codeTooManyQueries    = 202 // TOO_MANY_SIMULTANEOUS_QUERIES: overloaded
	codeSocketTimeout     = 209 // SOCKET_TIMEOUT: between servers of a cluster
	codeNetworkError      = 210 // NETWORK_ERROR: likewise
	codeAllReplicasFailed = 279 // ALL_CONNECTION_TRIES_FAILED: a shard is down
)

// classify is the one place that decides what a failed query means to the
// caller. ClickHouse did not answer (dial errors, EOF, timeouts, a dead
// connection, an overloaded or half-migrated server) → ErrUnavailable, so
// the API answers 503 and the client retries. ClickHouse answered with an
// exception about the query → faasight's bug, wrapped plainly (500) and
// logged with the query's name. A caller that went away gets its own
// context.Canceled back.
func (s *Reports) classify(ctx context.Context, op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return fmt.Errorf("analysis: %s: %w", op, err)
	case unavailable(err):
		return fmt.Errorf("analysis: %s: %w: %w", op, ErrUnavailable, err)
	default:
		s.logger.ErrorContext(ctx, "query failed", "query", op, "err", err)
		return fmt.Errorf("analysis: %s: %w", op, err)
	}
}

// unavailable reports whether err means ClickHouse did not (usefully)
// answer, as opposed to answering that the query is wrong.
func unavailable(err error) bool {
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		switch ex.Code {
		case codeUnknownTable, codeUnknownDatabase, codeTooManyQueries, codeSocketTimeout, codeNetworkError, codeAllReplicasFailed:
			return true
		}
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) { // dial refused, read/write timeouts, resets
		return true
	}
	for _, target := range []error{
		io.EOF, io.ErrUnexpectedEOF, // the server closed the connection mid-answer
		driver.ErrBadConn,
		context.DeadlineExceeded, os.ErrDeadlineExceeded, // a server that does not answer in time
		clickhouse.ErrAcquireConnTimeout, clickhouse.ErrConnectionClosed,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EPIPE, syscall.ETIMEDOUT,
		syscall.EHOSTUNREACH, syscall.ENETUNREACH,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	// clickhouse-go reports a connection it has already closed with an
	// unexported, unwrapped error; its text is all there is to go on.
	return strings.Contains(err.Error(), "on closed connection")
}

// scanFailed: a row that does not decode is faasight's bug, not an outage.
func scanFailed(op string, err error) error {
	return fmt.Errorf("analysis: %s: decode row: %w", op, err)
}
