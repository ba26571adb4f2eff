package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/go-spsql/spsql/sqlparse"
)

// writeTag returns the command tag of stmt ("INSERT", "UPDATE",
// "DELETE") when it parses as a write, or "" for anything else: the driver
// runs writes with Exec, not Query. A statement that does not parse is
// left to Query, which reports the syntax error.
func writeTag(stmt string) string {
	parsed, err := sqlparse.Parse(stmt)
	if err != nil {
		return ""
	}
	switch parsed.(type) {
	case *sqlparse.Insert:
		return "INSERT"
	case *sqlparse.Update:
		return "UPDATE"
	case *sqlparse.Delete:
		return "DELETE"
	}
	return ""
}

// executeWrite runs a write and reports how many items it changed, as
// psql does ("UPDATE 3"): with the rows in the table format, on status
// otherwise, so that a CSV or JSON stream holds only data.
func executeWrite(ctx context.Context, db *sql.DB, stmt, tag string, rw *resultWriter, out, status io.Writer) error {
	res, err := db.ExecContext(ctx, stmt)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if rw.format == formatTable {
		status = out
	}
	_, err = fmt.Fprintf(status, "%s %d\n", tag, n)
	return err
}
