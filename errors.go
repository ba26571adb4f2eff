package spsql

import (
	"errors"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/internal/engine"
)

// The errors a caller may check with errors.Is. Each message says what to
// do about it.

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

// ErrUnreachable is wrapped by the error of a request to an address where
// nothing answers (connection refused, unknown host): the site
// (ServiceURL) or the token endpoint (TokenURI). The error, an
// *auth.UnreachableError, names the property and the URL; it comes after
// two quick retries, not after the whole login or request timeout.
var ErrUnreachable = auth.ErrUnreachable
