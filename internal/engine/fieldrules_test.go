package engine

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// A field list that carries FieldTypeKind but no TypeAsString: the
// planner types the columns as the client decodes them (both ask
// sharepoint.Field), by the kind.
func TestFieldsWithoutTypeAsStringAreTypedByTheirKind(t *testing.T) {
	fields := []sharepoint.Field{
		{Title: "ID", InternalName: "ID", EntityPropertyName: "ID", Type: "Counter", Kind: 5},
		{Title: "Amount", InternalName: "Amount", EntityPropertyName: "Amount", Kind: sharepoint.KindNumber},
		{Title: "Due", InternalName: "Due", EntityPropertyName: "Due", Kind: sharepoint.KindDateTime, DisplayFormat: 1},
		{Title: "Owners", InternalName: "Owners", EntityPropertyName: "Owners", Kind: 20, AllowMultiple: true},
	}
	src := &memSource{fields: map[string][]sharepoint.Field{"l": fields}}
	p := query(t, src, "SELECT Amount, Due, OwnersId FROM L", Options{})
	want := []struct {
		vt     sharepoint.ValueType
		dbType string
	}{{sharepoint.ValueFloat, "NUMBER"}, {sharepoint.ValueTime, "DATETIME"}, {sharepoint.ValueInts, "USERMULTI"}}
	for i, c := range p.Columns {
		if c.Type != want[i].vt || c.DatabaseTypeName != want[i].dbType {
			t.Errorf("column %s: %v %s, want %v %s", c.Name, c.Type, c.DatabaseTypeName, want[i].vt, want[i].dbType)
		}
	}
}

// The planner tells the client which fields $filter and $orderby use
// (Query.FilterFields, Query.OrderByFields), which the client relies on
// to keep each request within SharePoint's lookup column threshold. This
// test reads the names out of the OData text itself, as an independent
// oracle, over every simple golden query and a few more.
func TestPlansListEveryFieldTheirFilterAndOrderUse(t *testing.T) {
	files, err := filepath.Glob("testdata/translate/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	queries := []string{
		"SELECT ID FROM Tasks WHERE Project = 'Apollo' AND AssignedToId = 7 ORDER BY Title, ID DESC",
		"SELECT Title FROM Tasks WHERE [Created By] = 'Jon' OR Editor.Id = 3 ORDER BY Modified",
		"SELECT ID FROM Tasks WHERE Title LIKE 'Project%' AND Status IN ('Done', 'Editor')",
		"SELECT ID FROM Tasks WHERE Title = 'AuthorId eq 1' ORDER BY PercentComplete DESC",
		"SELECT ID FROM Tasks ORDER BY UPPER(Title)",
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		queries = append(queries, string(src))
	}
	planned := 0
	for _, sql := range queries {
		st, err := sqlparse.Parse(sql)
		if err != nil {
			continue
		}
		sel, ok := st.(*sqlparse.Select)
		if !ok || len(sel.Joins) > 0 || sel.Union != nil || sel.Schema != "" {
			continue
		}
		q, err := BuildQuery(context.Background(), sel, fixtureCatalog{}, nil, Options{Location: newYork(t)})
		if err != nil || len(q.scans) == 0 {
			continue
		}
		p := q.scans[0]
		planned++
		fallback, err := p.Fallback()
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []sharepoint.Query{p.Query, fallback.Query} {
			if got, want := q.FilterFields, fieldsNamedIn(q.Filter); !reflect.DeepEqual(got, want) {
				t.Errorf("%s\n$filter=%s: FilterFields %q, want %q", sql, q.Filter, got, want)
			}
			if got, want := q.OrderByFields, fieldsNamedIn(q.OrderBy); !reflect.DeepEqual(got, want) {
				t.Errorf("%s\n$orderby=%s: OrderByFields %q, want %q", sql, q.OrderBy, got, want)
			}
		}
	}
	if planned < 25 {
		t.Errorf("only %d queries planned", planned)
	}
}

// fieldsNamedIn lists the Tasks fields an OData expression names outside
// its string literals, by internal name, once each in order: "X", "XId"
// and "X/Sub" all name X.
func fieldsNamedIn(expr string) []string {
	var names []string
	for _, word := range regexp.MustCompile(`'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z0-9_]+)?`).FindAllString(expr, -1) {
		if strings.HasPrefix(word, "'") {
			continue
		}
		base, _, _ := strings.Cut(word, "/")
		for _, f := range tasksFields() {
			if (f.EntityPropertyName == base || f.IsLookup() && f.EntityPropertyName+"Id" == base) && !slices.Contains(names, f.InternalName) {
				names = append(names, f.InternalName)
			}
		}
	}
	return names
}
