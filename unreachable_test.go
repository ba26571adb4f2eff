package spsql_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// An address where nothing listens, as ServiceURL or as TokenURI, is
// reported as unreachable, naming the property and the URL, and matches
// spsql.ErrUnreachable.
func TestUnreachableEndpoints(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	for _, tc := range []struct {
		property, url string
	}{
		{"ServiceURL", closed + "/sites/x"},
		{"TokenURI", closed + "/tenant/oauth2/v2.0/token"},
	} {
		t.Run(tc.property, func(t *testing.T) {
			dsn := srv.ConnString()
			old := srv.ServiceURL()
			if tc.property == "TokenURI" {
				old = srv.TokenURL()
			}
			dsn = strings.Replace(dsn, old, tc.url, 1)
			db, err := sql.Open("sharepoint", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.PingContext(context.Background())
			if !errors.Is(err, spsql.ErrUnreachable) {
				t.Fatalf("Ping: %v, want ErrUnreachable", err)
			}
			want := "cannot reach the SharePoint site at " + tc.url + " (ServiceURL): connection refused — check the URL and the network"
			if tc.property == "TokenURI" {
				want = "cannot reach the token endpoint at " + tc.url + " (TokenURI): connection refused — check the URL and the network"
			}
			t.Log(err)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Ping: %q\nwant it to contain %q", err, want)
			}
		})
	}
}
