package spsql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"

	"github.com/go-spsql/spsql/internal/engine"
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

// query runs a parsed statement: every SELECT, SHOW TABLES and DESCRIBE
// is one query of the engine (engine.BuildQuery), EXPLAIN its plan.
func (c *conn) query(ctx context.Context, parsed sqlparse.Statement, args []driver.NamedValue) (driver.Rows, error) {
	var sel *sqlparse.Select
	switch p := parsed.(type) {
	case *sqlparse.Select:
		sel = p
	case *sqlparse.ShowTables:
		sel = p.Select()
	case *sqlparse.Describe:
		sel = p.Select()
	case *sqlparse.Explain:
		q, err := c.buildQuery(ctx, p.Select, args)
		if err != nil {
			return nil, err
		}
		q.CountItems(ctx, c.source())
		return textRows("plan", q.Explain()), nil
	default:
		return nil, fmt.Errorf("spsql: unsupported statement %T", parsed)
	}
	q, cur, err := c.runQuery(ctx, sel, args)
	if err != nil {
		return nil, err
	}
	return &rows{cols: resultColumns(q.Columns), src: cur}, nil
}

// buildQuery plans sel with the connection's settings.
func (c *conn) buildQuery(ctx context.Context, sel *sqlparse.Select, args []driver.NamedValue) (*engine.Query, error) {
	opts, err := c.queryOptions(ctx)
	if err != nil {
		return nil, err
	}
	return engine.BuildQuery(ctx, sel, c.source(), args, opts)
}

// runQuery plans sel with the connection's settings and opens it
// (engine.Run: a read refused for a column deleted since the fields were
// cached re-reads them once and plans again).
func (c *conn) runQuery(ctx context.Context, sel *sqlparse.Select, args []driver.NamedValue) (*engine.Query, *engine.Cursor, error) {
	opts, err := c.queryOptions(ctx)
	if err != nil {
		return nil, nil, err
	}
	return engine.Run(ctx, sel, c.source(), args, opts)
}

// queryOptions are the engine's options from the connection's settings.
func (c *conn) queryOptions(ctx context.Context) (engine.Options, error) {
	tz, err := c.connector.client.TimeZone(ctx)
	if err != nil {
		return engine.Options{}, c.siteError(ctx, err)
	}
	cfg := c.connector.cfg
	return engine.Options{
		AuditColumns:     cfg.AuditColumns == AuditColumnsAll,
		PageSize:         cfg.FetchSize,
		Location:         tz.Location,
		MaxMemoryRows:    cfg.MaxMemoryRows,
		ParallelRequests: cfg.ParallelRequests,
		Logger:           c.connector.logger,
	}, nil
}

// resultColumns describes result columns for database/sql.
func resultColumns(ocs []engine.OutputColumn) []column {
	cols := make([]column, len(ocs))
	for i, oc := range ocs {
		cols[i] = column{name: oc.Name, typ: oc.Type, dbType: oc.DatabaseTypeName, nullable: !oc.NeverNull}
	}
	return cols
}

// textRows is a one-column result of text lines.
func textRows(name string, lines []string) *rows {
	data := make([][]any, len(lines))
	for i, l := range lines {
		data[i] = []any{l}
	}
	return &rows{cols: []column{{name: name, typ: sharepoint.ValueString, dbType: "TEXT"}}, src: &sliceRows{rows: data}}
}

// sliceRows serves rows held in memory (EXPLAIN's lines).
type sliceRows struct {
	rows [][]any
	pos  int
}

func (s *sliceRows) Next() ([]any, error) {
	if s.pos >= len(s.rows) {
		return nil, io.EOF
	}
	s.pos++
	return s.rows[s.pos-1], nil
}

func (s *sliceRows) Close() error { return nil }

var (
	_ driver.Stmt             = (*stmt)(nil)
	_ driver.StmtQueryContext = (*stmt)(nil)
	_ driver.StmtExecContext  = (*stmt)(nil)
)
