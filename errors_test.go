package spsql_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/internal/engine"
	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Every sentinel re-exported at the root is the subpackage's own value:
// errors.Is agrees both ways, whichever package a caller checks against.
func TestReExportedSentinelsAreTheSubpackagesValues(t *testing.T) {
	for name, pair := range map[string][2]error{
		"ErrInvalidGrant":       {spsql.ErrInvalidGrant, auth.ErrInvalidGrant},
		"ErrInvalidClient":      {spsql.ErrInvalidClient, auth.ErrInvalidClient},
		"ErrAccessTokenRefused": {spsql.ErrAccessTokenRefused, auth.ErrAccessTokenRefused},
		"ErrUnauthorized":       {spsql.ErrUnauthorized, sharepoint.ErrUnauthorized},
		"ErrListNotFound":       {spsql.ErrListNotFound, sharepoint.ErrListNotFound},
		"ErrFieldNotFound":      {spsql.ErrFieldNotFound, sharepoint.ErrFieldNotFound},
		"ErrViewThreshold":      {spsql.ErrViewThreshold, sharepoint.ErrViewThreshold},
		"ErrLookupThreshold":    {spsql.ErrLookupThreshold, sharepoint.ErrLookupThreshold},
		"ErrThrottled":          {spsql.ErrThrottled, sharepoint.ErrThrottled},
		"ErrRedirect":           {spsql.ErrRedirect, sharepoint.ErrRedirect},
		"ErrWriteInDoubt":       {spsql.ErrWriteInDoubt, sharepoint.ErrWriteInDoubt},
		"ErrWriteNotApplied":    {spsql.ErrWriteNotApplied, sharepoint.ErrWriteNotApplied},
		"ErrCreatedIDUnknown":   {spsql.ErrCreatedIDUnknown, sharepoint.ErrCreatedIDUnknown},
		"ErrMemoryLimit":        {spsql.ErrMemoryLimit, engine.ErrMemoryLimit},
	} {
		root, sub := pair[0], pair[1]
		if root == nil || !errors.Is(root, sub) || !errors.Is(sub, root) {
			t.Errorf("spsql.%s is not the subpackage's %s", name, name)
		}
	}
	// The error types are aliases: errors.As into the root's type finds
	// the subpackage's.
	var tokErr *spsql.TokenError
	if !errors.As(error(&auth.TokenError{Err: auth.ErrInvalidGrant}), &tokErr) {
		t.Error("errors.As(*auth.TokenError, *spsql.TokenError) = false")
	}
	var authErr *spsql.AuthError
	if !errors.As(error(&auth.Error{Code: "invalid_grant"}), &authErr) {
		t.Error("errors.As(*auth.Error, *spsql.AuthError) = false")
	}
	var spErr *spsql.SharePointError
	if !errors.As(error(&sharepoint.Error{StatusCode: 404}), &spErr) {
		t.Error("errors.As(*sharepoint.Error, *spsql.SharePointError) = false")
	}
	var colErr *spsql.ColumnError
	if !errors.As(error(&sharepoint.ColumnError{}), &colErr) {
		t.Error("errors.As(*sharepoint.ColumnError, *spsql.ColumnError) = false")
	}
	var batchErr *spsql.BatchError
	if !errors.As(error(&sharepoint.BatchError{}), &batchErr) {
		t.Error("errors.As(*sharepoint.BatchError, *spsql.BatchError) = false")
	}
}

// Real errors from the emulator, through database/sql, match the root's
// sentinels and types.
func TestEmulatorErrorsMatchTheRootSentinels(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Tasks"}}})
	defer srv.Close()
	lc := newLeakCheck(t, srv)
	db, err := sql.Open("sharepoint", srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()

	_, err = db.QueryContext(ctx, "SELECT Title FROM Taskz")
	lc.err(err)
	if !errors.Is(err, spsql.ErrListNotFound) {
		t.Errorf("a missing list: errors.Is(%v, spsql.ErrListNotFound) = false", err)
	}
	if errors.Is(err, spsql.ErrFieldNotFound) {
		t.Errorf("a missing list matches spsql.ErrFieldNotFound: %v", err)
	}

	_, err = db.QueryContext(ctx, "SELECT Colour FROM Tasks")
	lc.err(err)
	var colErr *spsql.ColumnError
	if !errors.Is(err, spsql.ErrFieldNotFound) || !errors.As(err, &colErr) || colErr.Column != "Colour" {
		t.Errorf("a missing column: error %v does not match spsql.ErrFieldNotFound and *spsql.ColumnError{Column: Colour}", err)
	}

	_, err = db.BeginTx(ctx, nil)
	lc.err(err)
	if !errors.Is(err, spsql.ErrNoTransactions) {
		t.Errorf("Begin: errors.Is(%v, spsql.ErrNoTransactions) = false", err)
	}
}

func TestASyntaxErrorFromQueryIsASyntaxError(t *testing.T) {
	db, _ := openDB(t, sptest.DemoSite())
	_, err := db.Query("SELECT Title,\n  FROM Tasks")
	var se *spsql.SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || se.Near != "FROM" {
		t.Fatalf("err = %v; want a *spsql.SyntaxError at line 2 near FROM", err)
	}
}
