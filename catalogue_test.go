package spsql_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

var update = flag.Bool("update", false, "rewrite docs/errors.md from the driver's actual errors")

// catalogueEntry is one bad input a user can give and what they get.
type catalogueEntry struct {
	input string
	args  []any // for SQL entries
	exec  bool  // run with db.Exec (a write), not db.Query
}

// The bad-input catalogue: docs/errors.md is generated from these entries
// with the errors the driver really returns (go test -run Catalogue
// -update), and the test fails when the two drift apart — so every entry
// in the document is tested.
var (
	catalogueDSN = []catalogueEntry{
		{input: ""},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x"},
		{input: "ServiceURL=http://corp.sharepoint.com/sites/x;AccessToken=…"},
		{input: "ServiceURL=corp.sharepoint.com/sites/x;AccessToken=…"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x?web=1;AccessToken=…"},
		{input: "ServiceURL=https://user:pass@corp.sharepoint.com/sites/x;AccessToken=…"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;ClientSecert=…"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;Colour=blue"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=…;accesstoken=…"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;ClientSecret=abc;def;AccessToken=…"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;RefreshToken=…;ClientSecert=…"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;RefreshToken=…;q7Zr2Xw=…"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;Scope={abc"},
		{input: "ServiceURL=http://corp.sharepoint.com/sites/x AccessToken=…"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;RefreshToken=…;ClientID=…"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;RefreshToken=…;TokenURI=https://login.microsoftonline.com/common/oauth2/v2.0/token"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=…;TokenURI=http://login.microsoftonline.com/common/oauth2/v2.0/token"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=…;WSFetchSize=10000"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=…;WSTimeout=soon"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=…;LoginTimeout=0"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=…;ReadOnly=maybe"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=…;AuthenticationMethod=Kerberos"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AuthenticationMethod=None"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AuthenticationMethod=OAuth2ClientCertificate;ClientID=…"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AuthenticationMethod=OAuth2ClientCertificate;ClientID=…;TokenURI=https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token;CertificateFile=app.pfx;ClientSecret=…"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=…;CertificateFile=app.pfx"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=…;ProxyHost=http://u:p@proxy:3128"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=…;ProxyPort=8080"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=…;TokenCacheFile=/tmp/t"},
		{input: "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=…;MaxMemoryRows=lots"},
		{input: "DSN=Nope"},
	}
	catalogueSQL = []catalogueEntry{
		{input: "SELECT Title FROM Nope"},
		{input: "SELECT Title FROM Task"},
		{input: "SELECT Titel FROM Tasks"},
		{input: "SELECT Zzyzx FROM Tasks"},
		{input: "SELECT Title, Project.Titel FROM Tasks"},
		{input: "SELECT Title FROM Tasks ORDER BY 2"},
		{input: "SELECT Title FROM Tasks WHERE Title = 5"},
		{input: "SELECT Title FROM Tasks WHERE Status = ?"},
		{input: "SELECT Title FROM Tasks WHERE Status = ?", args: []any{"Blocked", "extra"}},
		{input: "SELECT Title FROM Tasks WHERE Status = :status", args: []any{sql.Named("state", "Blocked")}},
		{input: "SELECT Title FROM Tasks WHERE Frobnicate(Title) = 1"},
		{input: "SELECT CONUT(*) FROM Tasks"},
		{input: "SELECT LEN(Title) FROM Tasks"},
		{input: "SELECT Title FROM Tasks t JOIN Projects p ON t.ProjectId = p.ID"},
		{input: "SELECT x.Title FROM Tasks t"},
		{input: "SELECT Manger FROM Tasks t JOIN Projects p ON t.ProjectId = p.ID"},
		{input: "SELECT Title, COUNT(*) FROM Tasks GROUP BY Status"},
		{input: "SELECT Title FROM Tasks WHERE ID IN (SELECT ID, Title FROM Projects)"},
		{input: "SELECT t.Title FROM Tasks t RIGHT JOIN Projects p ON t.ProjectId = p.ID"},
		{input: "SELECT Status FROM Tasks WHERE COUNT(*) > 2 GROUP BY Status"},
		{input: "SELECT Order FROM Tasks"},
		{input: "SELECT Title, FROM Tasks"},
		{input: "SELECT COUNT(* FROM Tasks"},
		{input: "SELECT Title\nFROM Tasks\nWHERE Status = 'Open' AND\n  Order = 2"},
		{input: `SELECT Title FROM Tasks WHERE Status = "Blocked"`},
		{input: "SELECT Title FROM Tasks WHERE Due Date > '2024-01-01'"},
		{input: "SELECT TOP 5 Title FROM Tasks"},
		{input: "GRANT SELECT ON Tasks TO bob"},
		{input: "SELEC Title FROM Tasks"},
		{input: "SELECT Title FROM Tasks LIMIT -1"},
		{input: "UPDATE Tasks SET Title = 'x'"},
		{input: "UPDATE Tasks SET Title = 'x'", exec: true},
		{input: "INSERT INTO Tasks (Title, Effort) VALUES ('x', 3)", exec: true},
		{input: "INSERT INTO Tasks (Title, Project) VALUES ('x', 'Customer portal')", exec: true},
		{input: "INSERT INTO Tasks (Title, [Due Date]) VALUES ('x', 'soon')", exec: true},
		{input: "INSERT INTO Tasks (Title, Status) VALUES ('x')"},
		{input: "SELECT Title FROM Tasks WHERE [Due Date] > 'tomorrow'"},
		{input: "SELECT Title FROM Tasks WHERE Title = 'unterminated"},
	}
)

func TestCatalogue(t *testing.T) {
	// DSN= reads odbc.ini: point it at an empty file.
	dir := t.TempDir()
	empty := filepath.Join(dir, "odbc.ini")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ODBCINI", empty)

	var b strings.Builder
	b.WriteString(`# Bad input and the errors it gives

Generated by ` + "`go test -run TestCatalogue -update .`" + ` from the driver's real
errors; ` + "`go test`" + ` fails when this file and the driver disagree, so every entry
is tested. Secrets are shown as … here and never appear in any error.

## Connection strings (sql.Open, ParseDSN)

| connection string | error |
|---|---|
`)
	for _, e := range catalogueDSN {
		_, err := spsql.ParseDSN(e.input)
		if err == nil {
			t.Fatalf("%q parsed without error", e.input)
		}
		msg := strings.ReplaceAll(err.Error(), empty, "$ODBCINI")
		fmt.Fprintf(&b, "| `%s` | %s |\n", cell(e.input), cell(msg))
	}

	db, srv := openDB(t, sptest.DemoSite())
	b.WriteString(`
## SQL (db.Query, or db.Exec for writes, against the demo site)

| statement | run with | arguments | error |
|---|---|---|---|
`)
	var full []string // errors of more than one line, shown whole below the table
	for _, e := range catalogueSQL {
		var err error
		if e.exec {
			_, err = db.Exec(e.input, e.args...)
		} else {
			var rows *sql.Rows
			if rows, err = db.Query(e.input, e.args...); err == nil {
				rows.Close()
			}
		}
		if err == nil {
			t.Fatalf("%q ran without error", e.input)
		}
		msg := strings.ReplaceAll(err.Error(), srv.ServiceURL(), "https://corp.sharepoint.com/sites/demo")
		if first, _, ok := strings.Cut(msg, "\n"); ok {
			full = append(full, msg)
			msg = first + " (and the statement's line with a caret: see below)"
		}
		how := "Query"
		if e.exec {
			how = "Exec"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", cell(e.input), how, cell(argsText(e.args)), cell(msg))
	}
	if len(full) > 0 {
		b.WriteString("\nSyntax errors in full: the line of the statement where the parser\nstopped, with a caret under the spot.\n")
		for _, msg := range full {
			fmt.Fprintf(&b, "\n```\n%s\n```\n", msg)
		}
	}

	writeUnreachable(t, &b)

	path := filepath.Join("docs", "errors.md")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCatalogue -update .)", err)
	}
	if string(want) != b.String() {
		t.Errorf("docs/errors.md is out of date with the driver's errors; review the change and run go test -run TestCatalogue -update .\n got:\n%s", b.String())
	}
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "`", "'").Replace(s)
}

// closedPort stands, in docs/errors.md, for the loopback port the
// catalogue found free: the port differs from run to run, the rest of the
// message does not.
const closedPort = "127.0.0.1:<closed port>"

// writeUnreachable adds the errors of a ServiceURL and a TokenURI where
// nothing listens (a loopback port just closed), as db.Ping reports them.
func writeUnreachable(t *testing.T, b *strings.Builder) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	b.WriteString(`
## Unreachable endpoints (db.Ping)

Nothing listens at the address (here a closed port on the loopback
interface): the error names the property and the URL within a few seconds.

| property | URL | error |
|---|---|---|
`)
	for _, e := range []struct{ property, old, url string }{
		{"ServiceURL", srv.ServiceURL(), "http://" + addr + "/sites/x"},
		{"TokenURI", srv.TokenURL(), "http://" + addr + "/tenant/oauth2/v2.0/token"},
	} {
		db, err := sql.Open("sharepoint", strings.Replace(srv.ConnString(), e.old, e.url, 1))
		if err != nil {
			t.Fatal(err)
		}
		err = db.PingContext(context.Background())
		db.Close()
		if err == nil {
			t.Fatalf("%s %s: Ping succeeded", e.property, e.url)
		}
		msg := strings.ReplaceAll(err.Error(), addr, closedPort)
		msg = strings.ReplaceAll(msg, srv.ServiceURL(), "https://corp.sharepoint.com/sites/demo")
		fmt.Fprintf(b, "| %s | `%s` | %s |\n", e.property, strings.ReplaceAll(e.url, addr, closedPort), cell(msg))
	}
}

// argsText shows a statement's arguments as Go would write them.
func argsText(args []any) string {
	var parts []string
	for _, a := range args {
		if n, ok := a.(sql.NamedArg); ok {
			parts = append(parts, fmt.Sprintf("sql.Named(%q, %#v)", n.Name, n.Value))
			continue
		}
		parts = append(parts, fmt.Sprintf("%#v", a))
	}
	return strings.Join(parts, ", ")
}
