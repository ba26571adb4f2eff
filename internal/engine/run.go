package engine

import (
	"context"
	"database/sql/driver"
	"errors"

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
		return q, cur, err
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
	return q, cur, err
}
