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

// Writes: INSERT, UPDATE and DELETE become item creations,
// MERGE updates and deletions. One row goes as one request; several go
// through $batch, 100 to a request (sharepoint.Client.Batch). Nothing is
// retried unless SharePoint provably did not process it. A write's error
// says what became of it: a single row's matches
// sharepoint.ErrWriteNotApplied or sharepoint.ErrWriteInDoubt; several
// rows' is a *sharepoint.BatchError naming the rows applied, not applied
// and in doubt; a failure before anything was sent (reading the list's
// metadata or the IDs to change) matches sharepoint.ErrWriteNotApplied.

// isWriteStatement reports a parsed INSERT, UPDATE or DELETE.
func isWriteStatement(st sqlparse.Statement) bool {
	switch st.(type) {
	case *sqlparse.Insert, *sqlparse.Update, *sqlparse.Delete:
		return true
	}
	return false
}

// result is a write's driver.Result.
type result struct {
	lastID   int64
	hasID    bool
	affected int64
	// idLost is why the last new item's ID is unknown: SharePoint created
	// it, but its answer was cut before naming it.
	idLost error
}

// LastInsertId is the new item's ID (the last one of a multi-row INSERT).
// UPDATE and DELETE have none.
func (r result) LastInsertId() (int64, error) {
	if !r.hasID {
		return 0, errors.New("spsql: LastInsertId is only known after an INSERT")
	}
	if r.idLost != nil {
		return 0, fmt.Errorf("spsql: LastInsertId is unknown: %w", r.idLost)
	}
	return r.lastID, nil
}

// RowsAffected is the exact number of items created, updated or deleted.
func (r result) RowsAffected() (int64, error) { return r.affected, nil }

// exec runs a parsed write statement.
func (c *conn) exec(ctx context.Context, parsed sqlparse.Statement, args []driver.NamedValue) (driver.Result, error) {
	if !isWriteStatement(parsed) {
		return nil, errors.New("spsql: Exec runs INSERT, UPDATE and DELETE; use Query for SELECT, SHOW, DESCRIBE and EXPLAIN")
	}
	if c.connector.cfg.ReadOnly {
		return nil, ErrReadOnly // parse refuses first; kept for safety
	}
	var list string
	switch p := parsed.(type) {
	case *sqlparse.Insert:
		list = p.List
	case *sqlparse.Update:
		list = p.List
	case *sqlparse.Delete:
		list = p.List
	}
	tz, err := c.connector.client.TimeZone(ctx)
	if err != nil {
		return nil, notWritten(c.listError(ctx, list, err))
	}
	wp, err := engine.PlanWrite(ctx, parsed, writeSource{c.source()}, args, engine.WriteOptions{
		Location:             tz.Location,
		AllowFullTableWrites: c.connector.cfg.AllowFullTableWrites,
		PageSize:             c.connector.cfg.FetchSize,
	})
	if err != nil {
		return nil, err
	}
	var ops []sharepoint.Op
	switch wp.Kind {
	case engine.WriteInsert:
		for i, row := range wp.Rows {
			ops = append(ops, sharepoint.Op{Kind: sharepoint.OpCreate, Values: row, Row: i})
		}
	case engine.WriteUpdate, engine.WriteDelete:
		ids := wp.IDs
		if wp.Select != nil {
			if ids, err = c.selectIDs(ctx, wp.Select, args); err != nil {
				return nil, notWritten(err)
			}
		}
		kind := sharepoint.OpDelete
		if wp.Kind == engine.WriteUpdate {
			kind = sharepoint.OpUpdate
			if len(wp.Set) == 0 {
				return result{}, nil
			}
		}
		for i, id := range ids {
			ops = append(ops, sharepoint.Op{Kind: kind, ID: id, Values: wp.Set, Row: i})
		}
	}
	return c.runOps(ctx, wp, ops)
}

// runOps sends the operations: one alone, several as batches.
func (c *conn) runOps(ctx context.Context, wp *engine.WritePlan, ops []sharepoint.Op) (driver.Result, error) {
	client := c.connector.client
	res := result{hasID: wp.Kind == engine.WriteInsert}
	if len(ops) > 0 && wp.Kind != engine.WriteUpdate {
		// COUNT(*) of a whole list reads the cached ItemCount: after items
		// were added or deleted (even in part), it must be read again.
		defer client.InvalidateItemCounts()
	}
	switch len(ops) {
	case 0:
		return res, nil
	case 1:
		op := ops[0]
		var err error
		switch op.Kind {
		case sharepoint.OpCreate:
			var id int
			id, err = client.CreateItem(ctx, wp.List, op.Values)
			res.lastID = int64(id)
			if errors.Is(err, sharepoint.ErrCreatedIDUnknown) {
				// Created: only its ID was lost with the answer.
				res.idLost, err = err, nil
			}
		case sharepoint.OpUpdate:
			err = client.UpdateItem(ctx, wp.List, op.ID, op.Values)
		case sharepoint.OpDelete:
			err = client.DeleteItem(ctx, wp.List, op.ID)
		}
		if err != nil {
			if op.Kind != sharepoint.OpCreate && isItemMissing(err) {
				// Deleted by someone else between the selection and now:
				// nothing was changed, which RowsAffected says.
				return res, nil
			}
			return nil, c.writeError(ctx, wp, err)
		}
		res.affected = 1
		return res, nil
	}
	results, err := client.Batch(ctx, wp.List, ops)
	var be *sharepoint.BatchError
	if err != nil && !errors.As(err, &be) {
		return nil, c.writeError(ctx, wp, err)
	}
	missing := 0
	for _, r := range results {
		if r.State == sharepoint.OpDone {
			res.affected++
			if wp.Kind == engine.WriteInsert {
				res.lastID, res.idLost = int64(r.ID), nil
				if r.ID == 0 {
					res.idLost = r.Err
					if res.idLost == nil {
						res.idLost = errors.New("sharepoint: the answer to the new item gave no ID")
					}
				}
			}
		} else if r.State == sharepoint.OpFailed && wp.Kind != engine.WriteInsert && isItemMissing(r.Err) {
			missing++
		}
	}
	if be != nil && !(len(be.InDoubt) == 0 && len(be.NotSent) == 0 && missing == len(be.Failed)) {
		return nil, c.writeError(ctx, wp, err)
	}
	return res, nil
}

// notWritten marks a failure before any write request was made as not
// applied, saying so in its text.
func notWritten(err error) error { return &notWrittenError{err} }

// writeSource is the source a write is planned with: a failure to read
// the list's fields is a write that was not applied.
type writeSource struct{ engine.Source }

func (w writeSource) Fields(ctx context.Context, list string) ([]sharepoint.Field, error) {
	fields, err := w.Source.Fields(ctx, list)
	if err != nil {
		return nil, notWritten(err)
	}
	return fields, nil
}

type notWrittenError struct{ err error }

func (e *notWrittenError) Error() string {
	return e.err.Error() + "; nothing was written: the statement can be run again once the cause is fixed"
}

func (e *notWrittenError) Unwrap() []error { return []error{e.err, sharepoint.ErrWriteNotApplied} }

// isItemMissing reports SharePoint's 404 for an item that does not exist.
func isItemMissing(err error) bool {
	var spErr *sharepoint.Error
	return errors.As(err, &spErr) && spErr.StatusCode == 404
}

// writeError prefixes a write's error with the statement's verb and list.
// A 404 for an item is not looked into further (no site check).
func (c *conn) writeError(ctx context.Context, wp *engine.WritePlan, err error) error {
	verb := map[engine.WriteKind]string{engine.WriteInsert: "INSERT INTO", engine.WriteUpdate: "UPDATE", engine.WriteDelete: "DELETE FROM"}[wp.Kind]
	if errors.Is(err, sharepoint.ErrListNotFound) {
		err = c.listError(ctx, wp.List, err)
	}
	return fmt.Errorf("spsql: %s %s: %w", verb, wp.List, err)
}

// selectIDs runs the SELECT ID of an UPDATE or DELETE to the end: every
// ID is read before the first write, so the writes cannot disturb the
// paging.
func (c *conn) selectIDs(ctx context.Context, sel *sqlparse.Select, args []driver.NamedValue) ([]int, error) {
	_, cur, err := c.runQuery(ctx, sel, args)
	if err != nil {
		return nil, err
	}
	defer cur.Close()
	var ids []int
	for {
		row, err := cur.Next()
		if err == io.EOF {
			return ids, nil
		}
		if err != nil {
			return nil, err
		}
		if id, ok := row[0].(int64); ok {
			ids = append(ids, int(id))
		}
	}
}

// writeStmt is a prepared INSERT, UPDATE or DELETE.
type writeStmt struct {
	conn   *conn
	parsed sqlparse.Statement
}

func (s *writeStmt) Close() error { return nil }

func (s *writeStmt) NumInput() int {
	return s.parsed.(interface{ NumInput() int }).NumInput()
}

func (s *writeStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), namedValues(args))
}

func (s *writeStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if s.conn.closed {
		return nil, driver.ErrBadConn
	}
	return s.conn.exec(ctx, s.parsed, args)
}

func (s *writeStmt) Query(args []driver.Value) (driver.Rows, error) {
	return nil, errWriteWithQuery
}

func (s *writeStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return nil, errWriteWithQuery
}

var errWriteWithQuery = errors.New("spsql: INSERT, UPDATE and DELETE run with Exec, not Query")

// ignoredTx is the transaction of TransactionMode=Ignore: statements in
// it were applied when they ran; Commit and Rollback do nothing.
type ignoredTx struct{}

func (ignoredTx) Commit() error   { return nil }
func (ignoredTx) Rollback() error { return nil }

var (
	_ driver.Result           = result{}
	_ driver.Stmt             = (*writeStmt)(nil)
	_ driver.StmtExecContext  = (*writeStmt)(nil)
	_ driver.StmtQueryContext = (*writeStmt)(nil)
	_ driver.Tx               = ignoredTx{}
)
