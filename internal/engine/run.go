package engine

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// Run plans sel (BuildQuery) and opens it (Query.Open) on src.
//
// A list's fields may be cached, and a column may have been deleted in
// SharePoint since: the plan then names it, and SharePoint refuses the
// read with a field-not-found answer (docs/sharepoint.md §7.6). So when
// opening fails with sharepoint.ErrFieldNotFound and planning had not
// already re-read the fields, Run re-reads the fields of the query's
// lists once, plans the statement again and opens the new plan. SELECT *
// then reads the columns the lists have now; a statement naming the
// deleted column fails to plan, with an error naming it (a
// *sharepoint.ColumnError suggesting the closest column of the fresh
// fields) instead of SharePoint's answer to the stale request.
func Run(ctx context.Context, sel *sqlparse.Select, src Source, args []driver.NamedValue, opts Options) (*Query, *Cursor, error) {
	q, err := BuildQuery(ctx, sel, src, args, opts)
	if err != nil {
		return nil, nil, err
	}
	cur, err := q.Open(ctx, src)
	if err == nil || q.reread || len(q.lists) == 0 || !errors.Is(err, sharepoint.ErrFieldNotFound) {
		return q, cur, subFieldError(q, err)
	}
	for _, l := range q.lists {
		src.Invalidate(l)
	}
	q, err = buildQuery(ctx, sel, src, args, opts, false)
	var ce *sharepoint.ColumnError
	if errors.As(err, &ce) {
		// The first plan found the column in the cached fields: it has
		// gone since.
		gone := *ce
		gone.Reason += "; the list no longer has it: it was deleted or renamed after its fields were read"
		return nil, nil, &gone
	}
	if err != nil {
		return nil, nil, err
	}
	cur, err = q.Open(ctx, src)
	return q, cur, subFieldError(q, err)
}

// subFieldError explains a field-not-found answer to a read of fresh
// fields: the list has every column the plan names, so the field missing
// is one read through a lookup or person (Project.Titel), which lives in
// the list looked up, whose fields the driver does not read. A sub-field
// other than Title and Id is named, instead of SharePoint's answer with
// the request's URL; any other error is returned as it is
// (docs/sharepoint.md §7.8).
func subFieldError(q *Query, err error) error {
	var ce *sharepoint.ColumnError
	if err == nil || !errors.Is(err, sharepoint.ErrFieldNotFound) || errors.As(err, &ce) {
		return err
	}
	var list string
	var named []string
	for _, p := range q.scans {
		paths := append(slices.Clone(p.Query.Select), odataPaths(p.Query.Filter)...)
		for _, sel := range append(paths, odataPaths(p.Query.OrderBy)...) {
			parent, sub, ok := strings.Cut(sel, "/")
			if !ok || slices.ContainsFunc([]string{"Title", "Id", "EMail", "Name"}, func(s string) bool { return strings.EqualFold(s, sub) }) {
				continue
			}
			if name := parent + "." + sub; !slices.Contains(named, name) {
				list, named = p.List, append(named, name)
			}
		}
	}
	switch len(named) {
	case 0:
		return err
	case 1:
		parent, sub, _ := strings.Cut(named[0], ".")
		return &sharepoint.ColumnError{List: list, Column: named[0], Reason: fmt.Sprintf(
			"does not exist: the list that %s looks up has no field %q; name one of its fields by its internal name (DESCRIBE that list shows them)", parent, sub)}
	}
	return &sharepoint.ColumnError{List: list, Column: strings.Join(named, ", "), Reason: "include a field that does not exist: one of them names a field the list its lookup looks up does not have; name fields of a looked-up list by their internal names (DESCRIBE that list shows them)"}
}

// odataPaths returns the X/Y names of an OData $filter or $orderby, outside
// its quoted strings.
func odataPaths(expr string) []string {
	var paths []string
	for i := 0; i < len(expr); {
		switch c := expr[i]; {
		case c == '\'':
			for i++; i < len(expr); i++ {
				if expr[i] == '\'' {
					if i+1 < len(expr) && expr[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
			i++
		case isODataNameByte(c, true):
			j := i
			for j < len(expr) && (isODataNameByte(expr[j], false) || expr[j] == '/') {
				j++
			}
			if strings.Contains(expr[i:j], "/") {
				paths = append(paths, expr[i:j])
			}
			i = j
		default:
			i++
		}
	}
	return paths
}
