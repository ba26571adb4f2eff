package spsql_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// TestServiceURLTrailingSlashIsDropped pins what Config.ServiceURL and the
// README say: a trailing slash is allowed, in a connection string and in a
// Config given to NewConnector, and requests go to the site's paths.
func TestServiceURLTrailingSlashIsDropped(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	cfg, err := spsql.ParseDSN(strings.Replace(srv.ConnString(), srv.ServiceURL(), srv.ServiceURL()+"/", 1))
	if err != nil || cfg.ServiceURL != srv.ServiceURL() {
		t.Fatalf("ParseDSN: ServiceURL %q, %v", cfg.ServiceURL, err)
	}
	cfg.ServiceURL += "//"
	connector, err := spsql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM Projects").Scan(&n); err != nil || n != 30 {
		t.Fatalf("COUNT(*) = %d, %v", n, err)
	}
	for _, r := range srv.Requests() {
		if strings.Contains(r.Path, "//") {
			t.Errorf("request to %s", r.Path)
		}
	}
}
