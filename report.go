package spsql

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// selectQuery runs a SELECT that SharePoint cannot answer in one request
// — joins, GROUP BY, aggregates, UNION, IN (SELECT …): each list is read
// through its own pushed-down plan (with the same threshold fallback and
// lookup split as a plain SELECT) and sqlparse's operators do the rest.
func (c *conn) selectQuery(ctx context.Context, sel *sqlparse.Select, args []driver.NamedValue) (driver.Rows, error) {
	q, tz, err := c.buildQuery(ctx, sel, args)
	if err != nil {
		return nil, err
	}
	cur, err := q.Open(ctx, func(ctx context.Context, p *sqlparse.Plan) (sqlparse.Rows, error) {
		src, err := c.stream(ctx, p)
		if err != nil {
			return nil, err
		}
		return planRows{src}, nil
	})
	if err != nil {
		return nil, err
	}
	cols := resultColumns(q.Columns)
	for i, oc := range q.Columns {
		// A join or an aggregate can make any column NULL (the ID of a
		// LEFT JOIN's missing item, MAX over no rows): only counts cannot.
		cols[i].nullable = !oc.NeverNull
		// The query's projection already turned date-only values into
		// their calendar day (midnight UTC).
		cols[i].dateOnly = false
	}
	return &rows{cols: cols, src: cursorSource{cur}, zone: tz.Location}, nil
}

// buildQuery plans sel against the lists it names. As for a plain
// SELECT, a column the cached fields lack makes it re-read the fields of
// those lists once before failing.
func (c *conn) buildQuery(ctx context.Context, sel *sqlparse.Select, args []driver.NamedValue) (*sqlparse.Query, *sharepoint.TimeZone, error) {
	client := c.connector.client
	tz, err := client.TimeZone(ctx)
	if err != nil {
		return nil, nil, err
	}
	opts := c.planOptions(tz)
	for attempt := 0; ; attempt++ {
		cat := &catalog{ctx: ctx, conn: c}
		q, err := sqlparse.BuildQuery(sel, cat, args, opts)
		if err != nil && attempt == 0 && errors.Is(err, sharepoint.ErrFieldNotFound) {
			for _, l := range cat.lists {
				client.Invalidate(l)
			}
			continue
		}
		return q, tz, err
	}
}

// catalog answers sqlparse's questions about lists from the client's
// metadata cache.
type catalog struct {
	ctx   context.Context
	conn  *conn
	lists []string // the lists whose fields were read
}

func (k *catalog) Fields(list string) ([]sharepoint.Field, error) {
	fields, err := k.conn.connector.client.Fields(k.ctx, list)
	if err != nil {
		return nil, k.conn.listError(list, err)
	}
	k.lists = append(k.lists, list)
	return fields, nil
}

func (k *catalog) ItemCount(list string) int64 {
	lists, err := k.conn.connector.client.Lists(k.ctx)
	if err != nil {
		return -1 // only a join's choice of side depends on it
	}
	for _, l := range lists {
		if strings.EqualFold(l.Title, list) {
			return l.ItemCount
		}
	}
	return -1
}

// planRows adapts a plan's stream to sqlparse.Rows.
type planRows struct{ src *planSource }

func (p planRows) Next() ([]any, error) { return p.src.nextRow() }
func (p planRows) Close() error         { return p.src.close() }

// cursorSource adapts a sqlparse.Cursor to the rows' source.
type cursorSource struct{ cur *sqlparse.Cursor }

func (s cursorSource) nextRow() ([]any, error) { return s.cur.Next() }
func (s cursorSource) close() error            { return s.cur.Close() }
