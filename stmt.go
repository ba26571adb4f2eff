package spsql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// stmt is a prepared statement: parsed once, planned per execution (the
// plan depends on the arguments and on the list's current fields).
type stmt struct {
	conn   *conn
	query  string
	parsed sqlparse.Statement
}

func (s *stmt) Close() error { return nil }

// NumInput is the number of placeholders, or -1 when ? and named ones are
// mixed (the plan then checks the arguments itself).
func (s *stmt) NumInput() int {
	switch p := s.parsed.(type) {
	case *sqlparse.Select:
		return p.NumInput()
	case *sqlparse.Explain:
		return p.Select.NumInput()
	}
	return 0
}

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return nil, errors.New("spsql: use Query, not Exec, for SELECT, SHOW and DESCRIBE")
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), namedValues(args))
}

// namedValues numbers positional arguments for the context methods.
func namedValues(args []driver.Value) []driver.NamedValue {
	named := make([]driver.NamedValue, len(args))
	for i, v := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return named
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if s.conn.closed {
		return nil, driver.ErrBadConn
	}
	return s.conn.query(ctx, s.parsed, args)
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.Exec(nil)
}

// query runs a parsed statement.
func (c *conn) query(ctx context.Context, parsed sqlparse.Statement, args []driver.NamedValue) (driver.Rows, error) {
	switch p := parsed.(type) {
	case *sqlparse.Select:
		if !p.Simple() {
			return c.selectQuery(ctx, p, args)
		}
		if p.Schema != "" {
			return c.selectSchema(ctx, p, args)
		}
		return c.selectRows(ctx, p, args)
	case *sqlparse.Explain:
		if !p.Select.Simple() {
			q, _, err := c.buildQuery(ctx, p.Select, args)
			if err != nil {
				return nil, err
			}
			return textRows("plan", q.Explain()), nil
		}
		if p.Select.Schema != "" {
			lines, err := c.explainSchema(p.Select, args)
			if err != nil {
				return nil, err
			}
			return textRows("plan", lines), nil
		}
		plan, _, err := c.plan(ctx, p.Select, args)
		if err != nil {
			return nil, err
		}
		return textRows("plan", plan.Explain()), nil
	case *sqlparse.ShowTables:
		return c.showTables(ctx)
	case *sqlparse.Describe:
		return c.describe(ctx, p.List)
	}
	return nil, fmt.Errorf("spsql: unsupported statement %T", parsed)
}

// plan resolves sel against its list's fields. A query naming a column
// the cached fields lack re-reads them once before failing: the list's
// schema may have changed since they were cached.
func (c *conn) plan(ctx context.Context, sel *sqlparse.Select, args []driver.NamedValue) (*sqlparse.Plan, *sharepoint.TimeZone, error) {
	client := c.connector.client
	tz, err := client.TimeZone(ctx)
	if err != nil {
		return nil, nil, c.listError(sel.List, err)
	}
	opts := c.planOptions(tz)
	for attempt := 0; ; attempt++ {
		fields, err := client.Fields(ctx, sel.List)
		if err != nil {
			return nil, nil, c.listError(sel.List, err)
		}
		plan, err := sqlparse.BuildPlan(sel, sel.List, fields, args, opts)
		if err != nil && attempt == 0 && errors.Is(err, sharepoint.ErrFieldNotFound) {
			client.Invalidate(sel.List)
			continue
		}
		return plan, tz, err
	}
}

// planOptions are the connection's settings for sqlparse.
func (c *conn) planOptions(tz *sharepoint.TimeZone) sqlparse.Options {
	return sqlparse.Options{
		AuditColumns:  c.connector.cfg.AuditColumns == AuditColumnsAll,
		PageSize:      c.connector.cfg.FetchSize,
		Location:      tz.Location,
		MaxMemoryRows: c.connector.cfg.MaxMemoryRows,
		// openItems sets Query.Parallel from it; Explain says so.
		ParallelRequests: c.connector.cfg.ParallelRequests,
	}
}

// listError explains a missing list in the driver's terms.
func (c *conn) listError(list string, err error) error {
	if errors.Is(err, sharepoint.ErrListNotFound) {
		return fmt.Errorf("spsql: list %q does not exist at %s (SHOW TABLES lists the lists): %w", list, c.connector.cfg.ServiceURL, err)
	}
	return err
}

// selectRows runs a SELECT: the pushed-down query streams from
// SharePoint and the plan's remainder runs over it.
func (c *conn) selectRows(ctx context.Context, sel *sqlparse.Select, args []driver.NamedValue) (driver.Rows, error) {
	plan, tz, err := c.plan(ctx, sel, args)
	if err != nil {
		return nil, err
	}
	cols := outputColumns(plan)
	if plan.Count == sqlparse.CountItemCount {
		n, err := c.itemCount(ctx, plan.List)
		if err != nil {
			return nil, err
		}
		return &rows{cols: cols, src: &sliceSource{rows: [][]any{{n}}}}, nil
	}
	src, err := c.stream(ctx, plan)
	if err != nil {
		return nil, err
	}
	return &rows{cols: cols, src: src, zone: tz.Location}, nil
}

// stream starts the items request and reads its first page, so that
// errors such as an unknown column surface from Query, not from the first
// Next. When SharePoint refuses the query for the list view threshold, it
// runs the plan's fallback (an ID-ordered scan, filtered and sorted in the
// driver) instead, and logs which columns are worth indexing.
func (c *conn) stream(ctx context.Context, plan *sqlparse.Plan) (*planSource, error) {
	ctx, cancel := context.WithCancel(ctx)
	src, err := c.startItems(ctx, plan)
	if err != nil && errors.Is(err, sharepoint.ErrLookupThreshold) {
		// Not the view threshold, though SharePoint reports both as an
		// SPQueryThrottledException: a scan would be refused as well.
		cancel()
		return nil, fmt.Errorf("spsql: the query exceeds SharePoint's lookup column threshold (at most %d lookup and person columns per request): %w", sharepoint.LookupThreshold, err)
	}
	if err != nil && errors.Is(err, sharepoint.ErrViewThreshold) {
		fallback, ferr := plan.Fallback()
		if ferr != nil {
			cancel()
			return nil, ferr
		}
		c.connector.logger.WarnContext(ctx, "spsql: SharePoint refused the query for the list view threshold; scanning the list by ID and filtering in the driver",
			"list", plan.List, "index these columns to avoid it", strings.Join(plan.Unindexed, ", "))
		src, err = c.startItems(ctx, fallback)
	}
	if err != nil {
		cancel()
		return nil, c.listError(plan.List, err)
	}
	src.cancel = cancel
	return src, nil
}

func (c *conn) startItems(ctx context.Context, plan *sqlparse.Plan) (*planSource, error) {
	it, err := c.openItems(ctx, plan.List, plan.Query)
	if err != nil {
		return nil, err
	}
	first := it.Next()
	if !first && it.Err() != nil {
		it.Close()
		return nil, it.Err()
	}
	s := &planSource{it: it, primed: first}
	s.next = plan.Remainder(s.fetch)
	return s, nil
}

// openItems starts reading the items q selects. The client slices
// whole-list reads in ID order of large lists, and reads a query that
// involves more lookup and person columns than SharePoint allows in one
// request in several, merged by ID.
func (c *conn) openItems(ctx context.Context, list string, q sharepoint.Query) (*sharepoint.ItemIterator, error) {
	q.Parallel = c.connector.cfg.ParallelRequests
	return c.connector.client.Items(ctx, list, q)
}

// itemCount answers COUNT(*) of a whole list from its ItemCount.
func (c *conn) itemCount(ctx context.Context, list string) (int64, error) {
	lists, err := c.connector.client.Lists(ctx)
	if err != nil {
		return 0, err
	}
	for _, l := range lists {
		if strings.EqualFold(l.Title, list) {
			return l.ItemCount, nil
		}
	}
	return 0, fmt.Errorf("spsql: list %q does not exist at %s (SHOW TABLES lists the lists): %w", list, c.connector.cfg.ServiceURL, sharepoint.ErrListNotFound)
}

// planSource feeds the fetched items through the plan's remainder.
type planSource struct {
	it     *sharepoint.ItemIterator
	primed bool // the iterator is on a row not yet handed to the remainder
	next   func() ([]any, error)
	cancel context.CancelFunc
}

// fetch hands the remainder the next fetched row.
func (s *planSource) fetch() ([]any, error) {
	if s.primed {
		s.primed = false
		return s.it.Row(), nil
	}
	if s.it.Next() {
		return s.it.Row(), nil
	}
	if err := s.it.Err(); err != nil {
		return nil, err
	}
	return nil, io.EOF
}

func (s *planSource) nextRow() ([]any, error) { return s.next() }

func (s *planSource) close() error {
	err := s.it.Close()
	if s.cancel != nil {
		s.cancel()
	}
	return err
}

// sliceSource serves rows held in memory (SHOW, DESCRIBE, EXPLAIN, COUNT).
type sliceSource struct {
	rows [][]any
	pos  int
}

func (s *sliceSource) nextRow() ([]any, error) {
	if s.pos >= len(s.rows) {
		return nil, io.EOF
	}
	s.pos++
	return s.rows[s.pos-1], nil
}

func (s *sliceSource) close() error { return nil }

// outputColumns describes a plan's result columns for database/sql.
func outputColumns(plan *sqlparse.Plan) []column {
	cols := resultColumns(plan.Columns)
	if plan.Count != sqlparse.CountNone {
		for i := range cols {
			cols[i].nullable = false
		}
	}
	return cols
}

// resultColumns describes result columns for database/sql.
func resultColumns(ocs []sqlparse.OutputColumn) []column {
	cols := make([]column, len(ocs))
	for i, oc := range ocs {
		cols[i] = column{name: oc.Name, typ: oc.Type, dbType: oc.DatabaseTypeName, nullable: true}
		if f := oc.Field; f != nil {
			cols[i].dateOnly = f.DateOnly() && oc.Type == sharepoint.ValueTime
			cols[i].nullable = !strings.EqualFold(f.InternalName, "ID")
		}
	}
	return cols
}

// textRows is a one-column result of text lines.
func textRows(name string, lines []string) *rows {
	data := make([][]any, len(lines))
	for i, l := range lines {
		data[i] = []any{l}
	}
	return &rows{cols: []column{{name: name, typ: sharepoint.ValueString, dbType: "TEXT"}}, src: &sliceSource{rows: data}}
}

// showTables answers SHOW TABLES: the site's visible lists.
func (c *conn) showTables(ctx context.Context) (driver.Rows, error) {
	lists, err := c.connector.client.Lists(ctx)
	if err != nil {
		return nil, err
	}
	data := make([][]any, len(lists))
	for i, l := range lists {
		data[i] = []any{l.Title, l.ItemCount, l.Description}
	}
	return &rows{cols: []column{
		{name: "Name", typ: sharepoint.ValueString, dbType: "TEXT"},
		{name: "ItemCount", typ: sharepoint.ValueInt, dbType: "INTEGER"},
		{name: "Description", typ: sharepoint.ValueString, dbType: "TEXT", nullable: true},
	}, src: &sliceSource{rows: data}}, nil
}

// describe answers DESCRIBE list: its visible fields.
func (c *conn) describe(ctx context.Context, list string) (driver.Rows, error) {
	fields, err := c.connector.client.Fields(ctx, list)
	if err != nil {
		return nil, c.listError(list, err)
	}
	var data [][]any
	for _, f := range fields {
		if f.Hidden {
			continue
		}
		var choices any
		if len(f.Choices) > 0 {
			choices = sqlparse.JSONArray([]string(f.Choices))
		}
		data = append(data, []any{f.Title, f.InternalName, f.Type, !f.Required && !strings.EqualFold(f.InternalName, "ID"), f.ReadOnly, choices})
	}
	return &rows{cols: []column{
		{name: "Column", typ: sharepoint.ValueString, dbType: "TEXT"},
		{name: "InternalName", typ: sharepoint.ValueString, dbType: "TEXT"},
		{name: "Type", typ: sharepoint.ValueString, dbType: "TEXT"},
		{name: "Nullable", typ: sharepoint.ValueBool, dbType: "BOOLEAN"},
		{name: "ReadOnly", typ: sharepoint.ValueBool, dbType: "BOOLEAN"},
		{name: "Choices", typ: sharepoint.ValueString, dbType: "TEXT", nullable: true},
	}, src: &sliceSource{rows: data}}, nil
}

var (
	_ driver.Stmt             = (*stmt)(nil)
	_ driver.StmtQueryContext = (*stmt)(nil)
	_ driver.StmtExecContext  = (*stmt)(nil)
)
