package spsql

import (
	"errors"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/internal/engine"
	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// The errors a caller may check with errors.Is (the Err… variables) and
// errors.As (the …Error types). Those that live in the packages auth and
// sharepoint are re-exported here under the same name, as the same value:
// errors.Is(err, spsql.ErrListNotFound) and errors.Is(err,
// sharepoint.ErrListNotFound) always agree. Each message says what to do
// about it. ErrUnknownProperty and ErrDataSourceNotFound, the errors of a
// connection string and of odbc.ini, are in dsn.go and odbcini.go.

// ErrNoTransactions is returned by Begin: SharePoint has no transactions.
var ErrNoTransactions = errors.New("spsql: SharePoint lists do not support transactions (TransactionMode=Ignore makes Begin succeed with a transaction that commits nothing and rolls back nothing)")

// ErrReadOnly is returned for a write statement on a ReadOnly connection,
// before any request is sent.
var ErrReadOnly = errors.New("spsql: the connection is ReadOnly: write statements are refused")

// ErrMemoryLimit is wrapped by the error of a query that would hold more
// rows in memory than the connection's MaxMemoryRows allows (rows to
// sort, groups, DISTINCT keys, a join's held side, a subquery's values).
// Add a LIMIT (ORDER BY … LIMIT n holds only n rows), narrow the query
// with WHERE, or raise MaxMemoryRows (0 = no cap).
var ErrMemoryLimit = engine.ErrMemoryLimit

// Signing in. A connection that cannot obtain an access token fails with
// a *TokenError wrapping the token endpoint's *AuthError (or the network
// error); errors.Is reports the sentinels below through it.

// ErrInvalidGrant: Entra ID refused the refresh token (expired through
// inactivity, revoked, or already rotated away). Retrying never helps:
// obtain a new refresh token (spsql login) and put it in the connection
// string, with a TokenCacheFile so that the tokens it rotates into are kept
// (a provider that revokes used refresh tokens otherwise refuses the next
// run's).
var ErrInvalidGrant = auth.ErrInvalidGrant

// ErrInvalidClient: Entra ID refused the client credentials, or does not
// know ClientID in the tenant of TokenURI. Check ClientID and ClientSecret
// (the secret's value, not its ID), that the secret has not expired, and
// the tenant.
var ErrInvalidClient = auth.ErrInvalidClient

// ErrAccessTokenRefused: SharePoint refused the configured AccessToken
// (expired or invalid) and no RefreshToken is configured to obtain
// another. Give a fresh AccessToken, or a RefreshToken.
var ErrAccessTokenRefused = auth.ErrAccessTokenRefused

// TokenError is the error of a request for which no access token could be
// obtained: the token source had already retried within LoginTimeout, so
// retrying the statement at once does not help. Its Unwrap gives the
// cause, often an *AuthError.
type TokenError = auth.TokenError

// AuthError is an error answer of the Entra ID token endpoint: the HTTP
// status, the OAuth error code (invalid_grant, invalid_client, …), the
// AADSTS numbers and the trace and correlation IDs to give Microsoft
// support. It holds no token or secret.
type AuthError = auth.Error

// SharePoint's answers. A refused request is a *SharePointError (the
// status, SharePoint's error code and message, the request's method and
// URL); errors.Is reports the sentinels below through it and through the
// driver's own errors that wrap it.

// SharePointError is an error answer from SharePoint. Its URL never holds
// a secret: tokens travel in headers only.
type SharePointError = sharepoint.Error

// ErrUnauthorized: SharePoint refused the access token (HTTP 401) even
// after one refresh, or refused access to the site or list (HTTP 403).
// Check that the refresh token is for this tenant, that Scope names the
// SharePoint host, and that the user or application may read the list.
var ErrUnauthorized = sharepoint.ErrUnauthorized

// ErrListNotFound: a statement names a list the site does not have; the
// message names the list and the site. SHOW TABLES lists the site's
// lists.
var ErrListNotFound = sharepoint.ErrListNotFound

// ErrFieldNotFound: a statement names a column the list does not have.
// The driver re-reads the list's fields once before reporting it, so a
// column added since the connection read them is found. DESCRIBE list
// shows the columns.
var ErrFieldNotFound = sharepoint.ErrFieldNotFound

// ColumnError is the error of a column a statement names but its list
// does not have, or cannot be read as asked: the list, the column and
// why. It matches ErrFieldNotFound.
type ColumnError = sharepoint.ColumnError

// ErrViewThreshold: SharePoint refused a request because it would scan
// more items than the list view threshold (5,000) allows — filtering or
// ordering on a column that is not indexed, on a large list. A query
// falls back by itself to reading the list by ID and filtering in the
// driver, so this reaches a caller only when that fallback is refused
// too. Index the columns named in WHERE and ORDER BY (EXPLAIN names
// them), or filter on ID, Created or Modified.
var ErrViewThreshold = sharepoint.ErrViewThreshold

// ErrLookupThreshold: SharePoint refused a request naming more lookup and
// person columns than its lookup column threshold (12) allows in its
// filter and order; no fallback cures it. Filter or order on fewer lookup
// columns (selecting more is fine: such a read is split).
var ErrLookupThreshold = sharepoint.ErrLookupThreshold

// ErrThrottled: SharePoint kept answering 429 or 503 after every retry.
// Try again later, lower the request rate (ParallelRequests), or raise
// WSRetryCount.
var ErrThrottled = sharepoint.ErrThrottled

// ErrRedirect: SharePoint answered with a redirect the driver did not
// follow: any redirect of a write (which was therefore not applied), and a
// read's redirect to another origin than ServiceURL's, where the access
// token must not go. Check ServiceURL: it should be the site's own
// address.
var ErrRedirect = sharepoint.ErrRedirect

// Writes. An INSERT, UPDATE or DELETE that fails says what became of it:
// one row's error matches ErrWriteNotApplied or ErrWriteInDoubt; several
// rows' is a *BatchError naming the rows applied, not applied and in
// doubt.

// ErrWriteInDoubt: a write may or may not have been applied — part of
// the request may have reached SharePoint and no answer said what
// happened to it. It was not retried: read the list to find out before
// writing it again.
var ErrWriteInDoubt = sharepoint.ErrWriteInDoubt

// ErrWriteNotApplied: a write was not applied — it never reached
// SharePoint, or SharePoint answered that it did not act on it. Running it
// again once the cause is fixed cannot apply it twice.
var ErrWriteNotApplied = sharepoint.ErrWriteNotApplied

// ErrCreatedIDUnknown: an INSERT was applied (SharePoint answered 2xx)
// but its answer ended before the new item's ID could be read. The
// statement succeeds, and its Result's LastInsertId returns an error
// saying so (matching ErrCreatedIDUnknown for a one-row INSERT). The item
// exists: do not insert it again.
var ErrCreatedIDUnknown = sharepoint.ErrCreatedIDUnknown

// BatchError is the error of a write of several rows that did not apply
// every one: the rows (0-based, in statement order) Applied, Failed
// (refused by SharePoint), NotSent and InDoubt, and the First failure. It
// matches ErrWriteInDoubt when any row is in doubt, and ErrWriteNotApplied
// when no row was applied and none is in doubt.
type BatchError = sharepoint.BatchError

// SyntaxError is the error of a statement that does not parse: its Line
// and Column (1-based, in characters), the token found (Near), what was
// expected where that can be told, and the statement; its message shows
// the line with a caret under the spot.
type SyntaxError = sqlparse.SyntaxError

// ErrUnreachable is wrapped by the error of a request to an address where
// nothing answers (connection refused, unknown host): the site
// (ServiceURL) or the token endpoint (TokenURI). The error, an
// *auth.UnreachableError, names the property and the URL; it comes after
// two quick retries, not after the whole login or request timeout.
var ErrUnreachable = auth.ErrUnreachable
