package spsql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// A program tells a missing list from other failures with errors.Is and
// reads the refusal's details with errors.As. The site here is the
// emulator on loopback, which has no list named Tasks.
func ExampleErrListNotFound() {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	db, err := sql.Open("sharepoint", srv.ConnString())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	_, err = db.QueryContext(context.Background(), "SELECT Title FROM Tasks")
	fmt.Println("list not found:", errors.Is(err, spsql.ErrListNotFound))
	fmt.Println("field not found:", errors.Is(err, spsql.ErrFieldNotFound))
	var spErr *spsql.SharePointError
	if errors.As(err, &spErr) {
		fmt.Println("SharePoint answered", spErr.StatusCode)
	}
	// Output:
	// list not found: true
	// field not found: false
	// SharePoint answered 404
}

// A refresh token that Entra ID refuses is ErrInvalidGrant: no retry helps,
// a new refresh token does. The token endpoint's answer is an *AuthError,
// with the AADSTS code to look up.
func ExampleErrInvalidGrant() {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	dsn := srv.ConnString()
	cfg, err := spsql.ParseDSN(dsn)
	if err != nil {
		fmt.Println(err)
		return
	}
	srv.Tokens.RevokeRefreshToken(cfg.RefreshToken)
	db, err := sql.Open("sharepoint", dsn)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	err = db.PingContext(context.Background())
	fmt.Println("invalid grant:", errors.Is(err, spsql.ErrInvalidGrant))
	var tokErr *spsql.TokenError
	fmt.Println("no access token:", errors.As(err, &tokErr))
	var authErr *spsql.AuthError
	if errors.As(err, &authErr) {
		fmt.Println(authErr.Code, authErr.ErrorCodes)
	}
	// Output:
	// invalid grant: true
	// no access token: true
	// invalid_grant [70008]
}
