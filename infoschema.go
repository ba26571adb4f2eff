package spsql

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// information_schema: the site's lists and their columns as two virtual
// tables, queryable with the whole SELECT dialect (WHERE, ORDER BY,
// LIMIT, DISTINCT, COUNT(*)). Their rows are made from the list and field
// metadata (cached per connector) and run through the same plan remainder
// as list items, with nothing pushed down. The column names are MySQL's
// where MySQL has one (TABLE_NAME, TABLE_ROWS, ORDINAL_POSITION…), so
// that tools that read information_schema find what they expect.
//
//	information_schema.tables: TABLE_NAME, TABLE_TYPE ('BASE TABLE'),
//	  TABLE_ROWS (ItemCount, which counts folders), TABLE_COMMENT
//	  (description), CREATE_TIME, UPDATE_TIME (last item change), LIST_ID
//	information_schema.columns: TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION,
//	  DATA_TYPE (as Rows.ColumnTypeDatabaseTypeName reports it),
//	  IS_NULLABLE ('YES', or 'NO' for ID), INTERNAL_NAME, SHAREPOINT_TYPE
//	  (TypeAsString), IS_REQUIRED, IS_READ_ONLY, IS_INDEXED (indexed
//	  columns can be filtered on lists over 5,000 items), CHOICES (a JSON
//	  array, or NULL)
//
// The columns of a list are those SELECT * returns, in its order (with
// AuditColumns=All, the audit columns too). Reading
// information_schema.columns reads the fields of every list, one request
// per list not yet cached.

// virtualField declares a column of a virtual table.
func virtualField(name, typ string) sharepoint.Field {
	f := sharepoint.Field{Title: name, InternalName: name, StaticName: name, EntityPropertyName: name, Type: typ, DisplayFormat: 1}
	f.Kind = map[string]int{"Text": sharepoint.KindText, "Integer": sharepoint.KindInteger, "Boolean": sharepoint.KindBoolean, "DateTime": sharepoint.KindDateTime}[typ]
	return f
}

var (
	schemaTablesFields = []sharepoint.Field{
		virtualField("TABLE_NAME", "Text"),
		virtualField("TABLE_TYPE", "Text"),
		virtualField("TABLE_ROWS", "Integer"),
		virtualField("TABLE_COMMENT", "Text"),
		virtualField("CREATE_TIME", "DateTime"),
		virtualField("UPDATE_TIME", "DateTime"),
		virtualField("LIST_ID", "Text"),
	}
	schemaColumnsFields = []sharepoint.Field{
		virtualField("TABLE_NAME", "Text"),
		virtualField("COLUMN_NAME", "Text"),
		virtualField("ORDINAL_POSITION", "Integer"),
		virtualField("DATA_TYPE", "Text"),
		virtualField("IS_NULLABLE", "Text"),
		virtualField("INTERNAL_NAME", "Text"),
		virtualField("SHAREPOINT_TYPE", "Text"),
		virtualField("IS_REQUIRED", "Boolean"),
		virtualField("IS_READ_ONLY", "Boolean"),
		virtualField("IS_INDEXED", "Boolean"),
		virtualField("CHOICES", "Text"),
	}
)

// schemaRows produces the rows of a virtual table, one value per field of
// its declaration, then io.EOF.
type schemaRows func() ([]any, error)

// schemaPlan plans a SELECT over information_schema.tables or .columns:
// nothing is pushed down, the driver does it all.
func (c *conn) schemaPlan(sel *sqlparse.Select, args []driver.NamedValue) (*sqlparse.Plan, []sharepoint.Field, error) {
	if !strings.EqualFold(sel.Schema, "information_schema") {
		return nil, nil, fmt.Errorf("spsql: %s.%s: lists have no schema; the only schema is information_schema (tables and columns)", sel.Schema, sel.List)
	}
	var fields []sharepoint.Field
	switch strings.ToLower(sel.List) {
	case "tables":
		fields = schemaTablesFields
	case "columns":
		fields = schemaColumnsFields
	default:
		return nil, nil, fmt.Errorf("spsql: information_schema.%s does not exist: information_schema has tables and columns", sel.List)
	}
	plan, err := sqlparse.BuildPlan(sel, sel.Schema+"."+sel.List, fields, args, sqlparse.Options{ClientOnly: true})
	return plan, fields, err
}

// explainSchema describes the plan of a SELECT over information_schema.
func (c *conn) explainSchema(sel *sqlparse.Select, args []driver.NamedValue) ([]string, error) {
	plan, _, err := c.schemaPlan(sel, args)
	if err != nil {
		return nil, err
	}
	lines := []string{"GET lists (cached metadata): the rows of information_schema.tables"}
	if strings.EqualFold(sel.List, "columns") {
		lines = []string{"GET lists and the fields of each list (cached metadata): the rows of information_schema.columns"}
	}
	for _, l := range plan.Explain() {
		if strings.HasPrefix(l, "driver:") && !strings.Contains(l, "nothing pushed") {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// selectSchema runs a SELECT over information_schema.tables or .columns.
func (c *conn) selectSchema(ctx context.Context, sel *sqlparse.Select, args []driver.NamedValue) (driver.Rows, error) {
	plan, fields, err := c.schemaPlan(sel, args)
	if err != nil {
		return nil, err
	}
	var gen schemaRows
	if strings.EqualFold(sel.List, "tables") {
		gen, err = c.schemaTables(ctx)
	} else {
		gen, err = c.schemaColumns(ctx)
	}
	if err != nil {
		return nil, err
	}
	// The plan reads the columns named in Query.Select, in that order.
	pos := make([]int, len(plan.Query.Select))
	for i, name := range plan.Query.Select {
		pos[i] = -1
		for j := range fields {
			if strings.EqualFold(fields[j].EntityPropertyName, name) {
				pos[i] = j
			}
		}
		// A plan that needs no column (COUNT(*), constants) reads ID:
		// the row's number here.
		if pos[i] < 0 && !strings.EqualFold(name, "ID") {
			return nil, fmt.Errorf("spsql: internal error: information_schema.%s has no column %s", sel.List, name)
		}
	}
	n := int64(0)
	fetch := func() ([]any, error) {
		all, err := gen()
		if err != nil {
			return nil, err
		}
		n++
		row := make([]any, len(pos))
		for i, p := range pos {
			if p < 0 {
				row[i] = n
			} else {
				row[i] = all[p]
			}
		}
		return row, nil
	}
	next := plan.Remainder(fetch)
	if plan.Count == sqlparse.CountItemCount {
		// Not expected with ClientOnly, but a whole-table COUNT(*) is
		// the number of rows.
		n := int64(0)
		for {
			if _, err := gen(); err == io.EOF {
				break
			} else if err != nil {
				return nil, err
			}
			n++
		}
		next = (&sliceSource{rows: [][]any{{n}}}).nextRow
	}
	return &rows{cols: outputColumns(plan), src: &funcSource{next: next}}, nil
}

// schemaTables lists the site's visible lists.
func (c *conn) schemaTables(ctx context.Context) (schemaRows, error) {
	lists, err := c.connector.client.Lists(ctx)
	if err != nil {
		return nil, err
	}
	i := 0
	return func() ([]any, error) {
		if i >= len(lists) {
			return nil, io.EOF
		}
		l := lists[i]
		i++
		return []any{l.Title, "BASE TABLE", l.ItemCount, emptyNull(l.Description), timeNull(l.Created), timeNull(l.LastItemModifiedDate), emptyNull(l.ID)}, nil
	}, nil
}

// starSelect is SELECT * over a list, whose plan gives a list's columns
// as SELECT * returns them.
var starSelect = func() *sqlparse.Select {
	st, err := sqlparse.Parse("SELECT * FROM list")
	if err != nil {
		panic(err)
	}
	return st.(*sqlparse.Select)
}()

// schemaColumns lists the columns of every visible list, reading each
// list's fields when its rows are reached.
func (c *conn) schemaColumns(ctx context.Context) (schemaRows, error) {
	lists, err := c.connector.client.Lists(ctx)
	if err != nil {
		return nil, err
	}
	var pending [][]any
	i := 0
	return func() ([]any, error) {
		for len(pending) == 0 {
			if i >= len(lists) {
				return nil, io.EOF
			}
			l := lists[i]
			i++
			fields, err := c.connector.client.Fields(ctx, l.Title)
			if err != nil {
				return nil, c.listError(l.Title, err)
			}
			plan, err := sqlparse.BuildPlan(starSelect, l.Title, fields, nil, sqlparse.Options{
				AuditColumns: c.connector.cfg.AuditColumns == AuditColumnsAll,
				ClientOnly:   true,
			})
			if err != nil {
				return nil, fmt.Errorf("spsql: the columns of list %q: %w", l.Title, err)
			}
			for k, oc := range plan.Columns {
				f := oc.Field
				if f == nil {
					continue
				}
				nullable := "YES"
				if strings.EqualFold(f.InternalName, "ID") {
					nullable = "NO"
				}
				var choices any
				if len(f.Choices) > 0 {
					choices = sqlparse.JSONArray([]string(f.Choices))
				}
				pending = append(pending, []any{l.Title, oc.Name, int64(k + 1), oc.DatabaseTypeName, nullable,
					f.InternalName, f.Type, f.Required, f.ReadOnly, f.Indexed, choices})
			}
		}
		row := pending[0]
		pending = pending[1:]
		return row, nil
	}, nil
}

func emptyNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func timeNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// funcSource serves the rows a function returns, then io.EOF.
type funcSource struct {
	next func() ([]any, error)
}

func (s *funcSource) nextRow() ([]any, error) { return s.next() }

func (s *funcSource) close() error { return nil }
