package spsql

import (
	"database/sql/driver"
	"io"
	"reflect"
	"time"

	"github.com/go-spsql/spsql/internal/engine"
	"github.com/go-spsql/spsql/sharepoint"
)

// column describes one result column for database/sql.
type column struct {
	name     string
	typ      sharepoint.ValueType
	dbType   string // DatabaseTypeName, e.g. "DATETIME"
	nullable bool
}

// rows is the driver.Rows of a query.
type rows struct {
	cols   []column
	src    engine.Rows // the result rows, in the sharepoint value types
	closed bool
}

func (r *rows) Columns() []string {
	names := make([]string, len(r.cols))
	for i, c := range r.cols {
		names[i] = c.name
	}
	return names
}

// Close is idempotent; it stops the stream and releases its connection.
func (r *rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.src.Close()
}

func (r *rows) Next(dest []driver.Value) error {
	if r.closed {
		return io.EOF
	}
	row, err := r.src.Next()
	if err != nil {
		return err
	}
	for i := range dest {
		dest[i] = driverValue(row[i])
	}
	return nil
}

// driverValue converts a sharepoint value to a driver.Value: scalars stay
// as they are; sets become JSON array text (["Red","Blue"], [3,7]); a URL
// its address; a managed-metadata term its label.
func driverValue(v any) driver.Value {
	// Scalars are returned as the interface they came in: unboxing and
	// re-boxing would allocate once per value (the performance budget is one
	// allocation per non-NULL column, spent by the decoder).
	switch x := v.(type) {
	case nil:
		return nil
	case string, int64, float64, bool:
		return v
	case time.Time:
		if x.Location() == time.UTC {
			return v
		}
		return x.UTC()
	case []string:
		if len(x) == 0 {
			return nil // an empty set is an empty value: NULL, as sqlparse compares it
		}
		return engine.JSONArray(x)
	case []int64:
		if len(x) == 0 {
			return nil
		}
		return engine.JSONArray(x)
	case sharepoint.URLValue:
		return x.URL
	case sharepoint.TaxonomyValue:
		return x.Label
	case []sharepoint.TaxonomyValue:
		if len(x) == 0 {
			return nil
		}
		labels := make([]string, len(x))
		for i, t := range x {
			labels[i] = t.Label
		}
		return engine.JSONArray(labels)
	case int:
		return int64(x)
	}
	return engine.JSONArray(v)
}

var (
	scanString = reflect.TypeFor[string]()
	scanInt    = reflect.TypeFor[int64]()
	scanFloat  = reflect.TypeFor[float64]()
	scanBool   = reflect.TypeFor[bool]()
	scanTime   = reflect.TypeFor[time.Time]()
)

// ColumnTypeScanType reports the Go type a column's non-NULL values have.
func (r *rows) ColumnTypeScanType(i int) reflect.Type {
	switch r.cols[i].typ {
	case sharepoint.ValueInt:
		return scanInt
	case sharepoint.ValueFloat:
		return scanFloat
	case sharepoint.ValueBool:
		return scanBool
	case sharepoint.ValueTime:
		return scanTime
	}
	return scanString
}

// ColumnTypeDatabaseTypeName reports SharePoint's type, e.g. "DATETIME".
func (r *rows) ColumnTypeDatabaseTypeName(i int) string { return r.cols[i].dbType }

// ColumnTypeNullable reports whether a column may hold NULL: every
// SharePoint field may be empty except the item ID.
func (r *rows) ColumnTypeNullable(i int) (nullable, ok bool) { return r.cols[i].nullable, true }

var (
	_ driver.Rows                           = (*rows)(nil)
	_ driver.RowsColumnTypeScanType         = (*rows)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*rows)(nil)
	_ driver.RowsColumnTypeNullable         = (*rows)(nil)
)
