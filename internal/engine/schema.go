package engine

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// information_schema: the site's lists and their columns as two virtual
// tables, scanned like lists (nothing is pushed down: their rows are made
// from the lists' metadata and filtered, sorted, grouped and joined by
// the same operators). SHOW TABLES and DESCRIBE are SELECTs over them.
// The column names are MySQL's where MySQL has one (TABLE_NAME,
// TABLE_ROWS, ORDINAL_POSITION…), so that tools that read
// information_schema find what they expect.
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
// AuditColumns, the audit columns too). Reading information_schema.columns
// reads the fields of every list, one request per list not yet cached.

func virtualField(name, typ string, kind int) sharepoint.Field {
	return sharepoint.Field{Title: name, InternalName: name, StaticName: name, EntityPropertyName: name, Type: typ, Kind: kind, DisplayFormat: 1}
}

var (
	schemaTablesFields = []sharepoint.Field{
		virtualField("TABLE_NAME", "Text", sharepoint.KindText),
		virtualField("TABLE_TYPE", "Text", sharepoint.KindText),
		virtualField("TABLE_ROWS", "Integer", sharepoint.KindInteger),
		virtualField("TABLE_COMMENT", "Text", sharepoint.KindText),
		virtualField("CREATE_TIME", "DateTime", sharepoint.KindDateTime),
		virtualField("UPDATE_TIME", "DateTime", sharepoint.KindDateTime),
		virtualField("LIST_ID", "Text", sharepoint.KindText),
	}
	schemaColumnsFields = []sharepoint.Field{
		virtualField("TABLE_NAME", "Text", sharepoint.KindText),
		virtualField("COLUMN_NAME", "Text", sharepoint.KindText),
		virtualField("ORDINAL_POSITION", "Integer", sharepoint.KindInteger),
		virtualField("DATA_TYPE", "Text", sharepoint.KindText),
		virtualField("IS_NULLABLE", "Text", sharepoint.KindText),
		virtualField("INTERNAL_NAME", "Text", sharepoint.KindText),
		virtualField("SHAREPOINT_TYPE", "Text", sharepoint.KindText),
		virtualField("IS_REQUIRED", "Boolean", sharepoint.KindBoolean),
		virtualField("IS_READ_ONLY", "Boolean", sharepoint.KindBoolean),
		virtualField("IS_INDEXED", "Boolean", sharepoint.KindBoolean),
		virtualField("CHOICES", "Text", sharepoint.KindText),
	}
)

// schemaFields returns the columns of information_schema.table.
func schemaFields(schema, table string) ([]sharepoint.Field, error) {
	if !strings.EqualFold(schema, sqlparse.SchemaName) {
		return nil, fmt.Errorf("spsql: %s.%s: lists have no schema; the only schema is information_schema (tables and columns)", schema, table)
	}
	switch strings.ToLower(table) {
	case "tables":
		return schemaTablesFields, nil
	case "columns":
		return schemaColumnsFields, nil
	}
	return nil, fmt.Errorf("spsql: information_schema.%s does not exist: information_schema has tables and columns", table)
}

func schemaExplain(table, only string) string {
	if strings.EqualFold(table, "columns") && only != "" {
		return fmt.Sprintf("GET lists and the fields of list %s (cached metadata): the rows of information_schema.columns", quoteOData(only))
	}
	if strings.EqualFold(table, "columns") {
		return "GET lists and the fields of each list (cached metadata): the rows of information_schema.columns"
	}
	return "GET lists (cached metadata): the rows of information_schema.tables"
}

// schemaRows makes the rows of a virtual table's scan: for each row of
// the table, the columns p.Query.Select names, in order ("ID", which a
// plan reads when it needs no column, is the row's number).
func schemaRows(rt *runtime, p *Plan, table string, describe bool) (Rows, error) {
	fields := schemaTablesFields
	gen := schemaTables
	if strings.EqualFold(table, "columns") {
		fields, gen = schemaColumnsFields, schemaColumns
	}
	pos := make([]int, len(p.Query.Select))
	for i, name := range p.Query.Select {
		pos[i] = -1
		for j := range fields {
			if strings.EqualFold(fields[j].EntityPropertyName, name) {
				pos[i] = j
			}
		}
		if pos[i] < 0 && !strings.EqualFold(name, "ID") {
			return nil, fmt.Errorf("spsql: internal error: information_schema.%s has no column %s", table, name)
		}
	}
	only := ""
	if strings.EqualFold(table, "columns") {
		only = schemaList(p.residual)
	}
	next, err := gen(rt.ctx, rt.src, rt.opts, only, describe)
	if err != nil {
		return nil, err
	}
	n := int64(0)
	return &funcRows{next: func() ([]any, error) {
		all, err := next()
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
	}}, nil
}

// funcRows serves the rows a function returns.
type funcRows struct{ next func() ([]any, error) }

func (f *funcRows) Next() ([]any, error) { return f.next() }
func (f *funcRows) Close() error         { return nil }

// schemaTables lists the site's visible lists.
func schemaTables(ctx context.Context, src Source, _ Options, _ string, _ bool) (func() ([]any, error), error) {
	lists, err := src.Lists(ctx)
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

// starSelect is SELECT * over a list: its plan gives the list's columns
// as SELECT * returns them.
var starSelect = &sqlparse.Select{List: "list", Items: []sqlparse.SelectItem{{Star: true}}}

// schemaColumns lists the columns of every visible list, reading each
// list's fields when its rows are reached.
//
// With only, it reads that list's fields alone; with mustExist, a list
// named only that does not exist is an error (DESCRIBE).
func schemaColumns(ctx context.Context, src Source, opts Options, only string, mustExist bool) (func() ([]any, error), error) {
	lists, err := src.Lists(ctx)
	if err != nil {
		return nil, err
	}
	if only != "" {
		var kept []sharepoint.List
		for _, l := range lists {
			if strings.EqualFold(l.Title, only) {
				kept = append(kept, l)
			}
		}
		if len(kept) == 0 && mustExist {
			// Fields names the list in its error, with a suggestion.
			if _, err := src.Fields(ctx, only); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("spsql: list %q does not exist: %w", only, sharepoint.ErrListNotFound)
		}
		lists = kept
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
			fields, err := src.Fields(ctx, l.Title)
			if err != nil {
				return nil, err
			}
			o := opts
			o.ClientOnly = true
			plan, err := buildPlan(starSelect, l.Title, fields, nil, o)
			if err != nil {
				return nil, fmt.Errorf("spsql: the columns of list %q: %w", l.Title, err)
			}
			for k, oc := range plan.Columns {
				f := oc.Field
				if f == nil {
					continue
				}
				nullable := "YES"
				if !nullableField(f) {
					nullable = "NO"
				}
				var choices any
				if len(f.Choices) > 0 {
					choices = JSONArray([]string(f.Choices))
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

// nullableField reports whether a field's column can be NULL: every
// column but ID. A Required field is nullable too: SharePoint enforces
// Required only when an item is written through its forms and APIs, so
// items created before the field became required, or written by
// workflows that bypass validation, hold no value (docs/sharepoint.md §7.2).
// DESCRIBE, information_schema.columns and Rows.ColumnTypeNullable all
// answer from here.
func nullableField(f *sharepoint.Field) bool {
	return !strings.EqualFold(f.InternalName, "ID")
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

// schemaList returns the list a scan of information_schema.columns is
// restricted to by a conjunct TABLE_NAME = 'x' of its WHERE, or "": the
// scan then reads only that list's fields (the residual still checks
// every row).
func schemaList(residual []*rexpr) string {
	for _, r := range residual {
		if r.op != opCmp || r.name != "=" || len(r.args) != 2 {
			continue
		}
		c, v := r.args[0], r.args[1]
		if c.op != opCol {
			c, v = v, c
		}
		if c.op == opCol && c.col.field != nil && c.col.field.InternalName == "TABLE_NAME" && v.op == opConst {
			if s, ok := v.val.(string); ok {
				return s
			}
		}
	}
	return ""
}
