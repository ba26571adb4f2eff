package spsql

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/go-spsql/spsql/sqlparse"
)

// conn is one database/sql connection. It holds no network state of its
// own: every connection of a connector shares its SharePoint client, HTTP
// connections and token source.
type conn struct {
	connector *Connector
	closed    bool
}

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext parses the statement; nothing is sent to SharePoint until
// it runs, since the plan depends on the arguments.
func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.closed {
		return nil, driver.ErrBadConn
	}
	parsed, err := c.parse(query)
	if err != nil {
		return nil, err
	}
	if isWriteStatement(parsed) {
		return &writeStmt{conn: c, parsed: parsed}, nil
	}
	return &stmt{conn: c, query: query, parsed: parsed}, nil
}

// parse parses one statement; on a ReadOnly connection every write is
// ErrReadOnly, before any request and whether or not it parses.
func (c *conn) parse(query string) (sqlparse.Statement, error) {
	if c.connector.cfg.ReadOnly && isWrite(query) {
		return nil, ErrReadOnly
	}
	parsed, err := sqlparse.Parse(query)
	if err != nil {
		return nil, err
	}
	if c.connector.cfg.ReadOnly && isWriteStatement(parsed) {
		return nil, ErrReadOnly
	}
	return parsed, nil
}

// isWrite reports a statement that would change data.
func isWrite(query string) bool {
	fields := strings.Fields(query)
	if len(fields) == 0 {
		return false
	}
	switch strings.ToUpper(fields[0]) {
	case "INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE":
		return true
	}
	return false
}

// QueryContext runs a query without a prepared statement.
func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.closed {
		return nil, driver.ErrBadConn
	}
	parsed, err := c.parse(query)
	if err != nil {
		return nil, err
	}
	if isWriteStatement(parsed) {
		return nil, errWriteWithQuery
	}
	return c.query(ctx, parsed, args)
}

// ExecContext runs INSERT, UPDATE or DELETE (exec.go).
func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.closed {
		return nil, driver.ErrBadConn
	}
	parsed, err := c.parse(query)
	if err != nil {
		return nil, err
	}
	return c.exec(ctx, parsed, args)
}

// Close is idempotent.
func (c *conn) Close() error {
	c.closed = true
	return nil
}

func (c *conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx fails with ErrNoTransactions: SharePoint has none. With
// TransactionMode=Ignore it returns a transaction that does nothing:
// statements are applied as they run, and Rollback undoes nothing.
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.connector.cfg.TransactionMode == TransactionModeIgnore {
		return ignoredTx{}, nil
	}
	return nil, ErrNoTransactions
}

// Ping authenticates (obtaining a token if needed) and reads the site's
// title: the cheapest request that proves both the credentials and the
// ServiceURL.
func (c *conn) Ping(ctx context.Context) error {
	if c.closed {
		return driver.ErrBadConn
	}
	if _, err := c.connector.client.Web(ctx); err != nil {
		if site := c.siteError(ctx, err); site != err {
			return site // 404: ServiceURL is no site
		}
		return fmt.Errorf("spsql: ping %s: %w", c.connector.cfg.ServiceURL, err)
	}
	return nil
}

// ResetSession: a connection carries no session state to reset.
func (c *conn) ResetSession(ctx context.Context) error {
	if c.closed {
		return driver.ErrBadConn
	}
	return nil
}

// IsValid reports whether the connection may be reused by the pool.
func (c *conn) IsValid() bool { return !c.closed }

// CheckNamedValue accepts the argument types that become OData literals
// (string, int64, float64, bool, time.Time, []byte, nil) and converts the
// rest (other integers, driver.Valuer) the standard way.
func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	v, err := driver.DefaultParameterConverter.ConvertValue(nv.Value)
	if err != nil {
		return fmt.Errorf("spsql: argument %s: %w", argName(nv), err)
	}
	nv.Value = v
	return nil
}

func argName(nv *driver.NamedValue) string {
	if nv.Name != "" {
		return "@" + nv.Name
	}
	return fmt.Sprintf("$%d", nv.Ordinal)
}

var (
	_ driver.Conn               = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.Validator          = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
)
