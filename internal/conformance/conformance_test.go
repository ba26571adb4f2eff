package conformance_test

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/internal/conformance"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

func TestKitPassesAgainstTheEmulator(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{TimeZone: "Europe/Berlin"})
	defer srv.Close()
	cfg, err := spsql.ParseDSN(srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	c, err := spsql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	var out bytes.Buffer
	res, err := conformance.Run(context.Background(), conformance.Config{DB: db, Schema: c.(*spsql.Connector).SharePoint(), Out: &out})
	t.Log(out.String())
	if err != nil || !res.OK() {
		t.Fatalf("%v %v", res, err)
	}
	if !strings.Contains(out.String(), "conformance: ") {
		t.Error("no summary")
	}
}

func TestKitLargeAgainstTheEmulator(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{}, sptest.WithThreshold(40))
	defer srv.Close()
	cfg, _ := spsql.ParseDSN(srv.ConnString() + ";WSFetchSize=10")
	c, _ := spsql.NewConnector(cfg)
	db := sql.OpenDB(c)
	defer db.Close()
	var out bytes.Buffer
	res, err := conformance.Run(context.Background(), conformance.Config{DB: db, Schema: c.(*spsql.Connector).SharePoint(), Out: &out, Large: true, LargeCount: 120})
	t.Log(out.String())
	if err != nil || !res.OK() {
		t.Fatalf("%v %v", res, err)
	}
}
