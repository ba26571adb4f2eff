package spsql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
)

// conn is one database/sql connection. It holds no network state of its
// own: every connection of a connector shares its SharePoint client.
type conn struct {
	connector *Connector
	closed    bool
}

// errNotImplemented is returned for SQL statements until the SQL layer
// (sqlparse) lands; it says so rather than failing obscurely.
var errNotImplemented = errors.New("spsql: SQL statements are not supported yet: this version only connects and pings")

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.closed {
		return nil, driver.ErrBadConn
	}
	return nil, errNotImplemented
}

// Close is idempotent.
func (c *conn) Close() error {
	c.closed = true
	return nil
}

// ErrNoTransactions is returned by Begin: SharePoint has no transactions.
var ErrNoTransactions = errors.New("spsql: SharePoint lists do not support transactions")

func (c *conn) Begin() (driver.Tx, error) { return nil, ErrNoTransactions }

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
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
		return fmt.Errorf("spsql: ping %s: %w", c.connector.cfg.ServiceURL, err)
	}
	return nil
}

// IsValid reports whether the connection may be reused by the pool.
func (c *conn) IsValid() bool { return !c.closed }

var (
	_ driver.Conn               = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.Validator          = (*conn)(nil)
)
