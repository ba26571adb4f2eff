package spsql_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// A misspelt list gets the site's closest list, as a misspelt column gets
// the list's closest column, and not the failed request's URL.
func TestMisspeltListSuggestsTheClosestList(t *testing.T) {
	db, _ := openDB(t, sptest.DemoSite())
	_, err := db.Query("SELECT Title FROM Task")
	if err == nil || !strings.Contains(err.Error(), `did you mean "Tasks"?`) || !errors.Is(err, sharepoint.ErrListNotFound) {
		t.Fatalf("err = %v, want ErrListNotFound suggesting Tasks", err)
	}
	if strings.Contains(err.Error(), "_api") {
		t.Errorf("err = %v: the request URL is no help to the user", err)
	}
	_, err = db.Exec("INSERT INTO Task (Title) VALUES ('x')")
	if err == nil || !strings.Contains(err.Error(), `did you mean "Tasks"?`) {
		t.Errorf("insert: err = %v, want a suggestion of Tasks", err)
	}
	_, err = db.Query("SELECT Title FROM Zzyzx")
	if err == nil || strings.Contains(err.Error(), "did you mean") || !strings.Contains(err.Error(), "SHOW TABLES") {
		t.Errorf("far name: err = %v, want no suggestion and the SHOW TABLES hint", err)
	}
}

// On a site answering in German the list is still recognised as missing
// (by status, code and request), so the user gets the driver's explanation.
func TestMissingListOnAGermanSite(t *testing.T) {
	db, _ := openDB(t, sptest.DemoSite(), sptest.WithLanguage("de-DE"))
	_, err := db.Query("SELECT Title FROM Task")
	if err == nil || !errors.Is(err, sharepoint.ErrListNotFound) || !strings.Contains(err.Error(), `did you mean "Tasks"?`) {
		t.Fatalf("err = %v, want ErrListNotFound suggesting Tasks", err)
	}
	// An unknown column re-reads the fields once, then suggests.
	_, err = db.Query("SELECT Titel FROM Tasks")
	if err == nil || !errors.Is(err, sharepoint.ErrFieldNotFound) || !strings.Contains(err.Error(), `did you mean "Title"?`) {
		t.Fatalf("err = %v, want ErrFieldNotFound suggesting Title", err)
	}
}

// A ServiceURL whose path is no site gets 404 for everything: the error
// says so and names ServiceURL.
func TestServiceURLThatIsNoSite(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite())
	t.Cleanup(srv.Close)
	wrong := srv.ServiceURL() + "x"
	db, err := sql.Open("sharepoint", strings.Replace(srv.ConnString(), srv.ServiceURL(), wrong, 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err == nil || !strings.Contains(err.Error(), "ServiceURL "+wrong+" is not a SharePoint site") {
		t.Errorf("ping: err = %v, want ServiceURL named as no site", err)
	}
	for _, q := range []string{"SELECT Title FROM Tasks", "SHOW TABLES"} {
		_, err = db.Query(q)
		if err == nil || !strings.Contains(err.Error(), "ServiceURL "+wrong+" is not a SharePoint site") {
			t.Errorf("%s: err = %v, want ServiceURL named as no site", q, err)
		}
	}
}

// A misspelt field read through a lookup (Project.Titel) lives in the list
// looked up, whose fields the driver does not read: SharePoint refuses the
// read, and the error names the lookup and the field, not the request.
func TestMisspeltLookupFieldIsNamed(t *testing.T) {
	db, _ := openDB(t, sptest.DemoSite())
	for _, c := range []struct{ sql, column, field string }{
		{"SELECT Title, Project.Titel FROM Tasks", "Project.Titel", "Titel"},
		{"SELECT Title FROM Tasks WHERE Project.Nope = 'a/b'", "Project.Nope", "Nope"},
		{"SELECT Title FROM Tasks ORDER BY Project.Nope", "Project.Nope", "Nope"},
	} {
		_, err := db.Query(c.sql)
		var ce *sharepoint.ColumnError
		if !errors.As(err, &ce) || ce.Column != c.column || !strings.Contains(err.Error(), `the list that Project looks up has no field "`+c.field+`"`) {
			t.Errorf("%s: err = %v, want a ColumnError naming %s", c.sql, err, c.column)
		}
		if !errors.Is(err, sharepoint.ErrFieldNotFound) || err != nil && strings.Contains(err.Error(), "_api") {
			t.Errorf("%s: err = %v, want ErrFieldNotFound without the request", c.sql, err)
		}
	}
}

// A column that no list of a join has suggests the lists' closest columns,
// qualified, or says that its qualifier is no list or alias of the query.
func TestUnknownColumnOfAJoin(t *testing.T) {
	db, _ := openDB(t, sptest.DemoSite())
	const from = " FROM Tasks t JOIN Projects p ON t.ProjectId = p.ID"
	for sql, want := range map[string]string{
		"SELECT Titel" + from:   `spsql: no list of this query (Tasks AS t, Projects AS p) has a column "Titel"; did you mean t.Title or p.Title?`,
		"SELECT Manger" + from:  `has a column "Manger"; did you mean p.Manager?`,
		"SELECT x.Title" + from: `has a column "x.Title": "x" is not a list or alias of the query; qualify the column with one of t, p`,
		"SELECT Zzyzx" + from:   `has a column "Zzyzx" (DESCRIBE a list to see its columns)`,
	} {
		_, err := db.Query(sql)
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, sharepoint.ErrFieldNotFound) {
			t.Errorf("%s: err = %v, want ErrFieldNotFound saying %q", sql, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "sharepoint: field not found") {
			t.Errorf("%s: err = %v repeats the sentinel's text", sql, err)
		}
	}
}
