// Package spsql is a database/sql driver that exposes SharePoint Online lists
// as SQL tables. Import it for its side effect and open a connection with an
// ODBC-style connection string:
//
//	import _ "github.com/go-spsql/spsql"
//
//	db, err := sql.Open("sharepoint", "ServiceURL=https://corp.sharepoint.com/sites/x;"+
//		"ClientID=…;ClientSecret=…;TokenURI=https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token;RefreshToken=…")
//
// See ParseDSN for the connection string and README.md for every property.
// Programs that build the configuration in code use NewConnector and
// sql.OpenDB.
//
// The SQL dialect — SELECT with joins, grouping, UNION and subqueries,
// SHOW TABLES, DESCRIBE, EXPLAIN, INSERT, UPDATE, DELETE — and what runs
// in SharePoint or in the driver are documented in package
// github.com/go-spsql/spsql/sqlparse.
//
// # Errors a program can act on
//
// Every error's message says what went wrong and what to do. A program
// that must tell cases apart checks the Err… variables of this package
// with errors.Is and its …Error types with errors.As; those of the
// packages auth and sharepoint are re-exported here as the same values,
// so importing this package is enough:
//
//   - signing in: ErrInvalidGrant, ErrInvalidClient, ErrAccessTokenRefused,
//     ErrCertificateRejected, ErrCertificateExpired, *TokenError, *AuthError;
//   - reaching the site or the token endpoint: ErrUnreachable;
//   - the connection string: ErrUnknownProperty, ErrDataSourceNotFound;
//   - the statement: *SyntaxError (line, column, the token found);
//   - names: ErrListNotFound, ErrFieldNotFound, *ColumnError;
//   - SharePoint's limits: ErrThrottled, ErrViewThreshold,
//     ErrLookupThreshold, ErrUnauthorized, ErrRedirect, *SharePointError;
//   - the driver's own: ErrMemoryLimit, ErrReadOnly, ErrNoTransactions;
//   - writes: ErrWriteNotApplied, ErrWriteInDoubt, ErrCreatedIDUnknown,
//     *BatchError.
//
// For example:
//
//	_, err := db.ExecContext(ctx, "DELETE FROM Tasks WHERE ID = 7")
//	var authErr *spsql.AuthError
//	switch {
//	case errors.Is(err, spsql.ErrListNotFound):
//		// no list named Tasks on this site
//	case errors.Is(err, spsql.ErrWriteInDoubt):
//		// read item 7 before deleting it again
//	case errors.As(err, &authErr):
//		// Entra ID refused to sign in: authErr.ErrorCodes has the AADSTS codes
//	}
//
// The examples of ErrListNotFound and ErrInvalidGrant show both against
// the emulator in package github.com/go-spsql/spsql/sharepoint/sptest.
package spsql

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// Version is the driver's version, sent in the User-Agent header.
const Version = "0.1.0"

// DriverName is the name the driver registers with database/sql.
const DriverName = "sharepoint"

func init() {
	sql.Register(DriverName, &Driver{})
}

// Driver is the database/sql driver. Its zero value is ready to use.
type Driver struct{}

// Open opens one connection. database/sql calls OpenConnector instead, so
// that a *sql.DB parses its connection string once and shares one token
// source among its connections; Open exists for driver.Driver.
func (d *Driver) Open(dsn string) (driver.Conn, error) {
	c, err := d.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

// OpenConnector parses dsn (see ParseDSN) and returns a connector whose
// connections share one HTTP client and one token source.
func (d *Driver) OpenConnector(dsn string) (driver.Connector, error) {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	return newConnector(d, cfg)
}

var (
	_ driver.Driver        = (*Driver)(nil)
	_ driver.DriverContext = (*Driver)(nil)
)
