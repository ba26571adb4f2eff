package spsql

import (
	"database/sql/driver"
	"io"
	"reflect"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// column describes one result column for database/sql.
type column struct {
	name     string
	typ      sharepoint.ValueType
	dbType   string // DatabaseTypeName, e.g. "DATETIME"
	nullable bool
	// dateOnly marks a DateTime shown as a date: SharePoint stores the
	// site-local midnight in UTC, which is returned as that date at UTC
	// midnight (see dateInZone).
	dateOnly bool
}

// rowSource yields the rows of a result, already projected to the result
// columns and converted to the sharepoint value types; io.EOF ends it.
type rowSource interface {
	nextRow() ([]any, error)
	close() error
}

// rows is the driver.Rows of a query.
type rows struct {
	cols   []column
	src    rowSource
	zone   *time.Location // the site's time zone, for date-only columns
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
	return r.src.close()
}

func (r *rows) Next(dest []driver.Value) error {
	if r.closed {
		return io.EOF
	}
	row, err := r.src.nextRow()
	if err != nil {
		return err
	}
	for i := range dest {
		dest[i] = driverValue(row[i], r.cols[i], r.zone)
	}
	return nil
}

// driverValue converts a sharepoint value to a driver.Value: scalars stay
// as they are; sets become JSON array text (["Red","Blue"], [3,7]); a URL
// its address; a managed-metadata term its label.
func driverValue(v any, c column, zone *time.Location) driver.Value {
	// Scalars are returned as the interface they came in: unboxing and
	// re-boxing would allocate once per value (the performance budget is one
	// allocation per non-NULL column, spent by the decoder).
	switch x := v.(type) {
	case nil:
		return nil
	case string, int64, float64, bool:
		return v
	case time.Time:
		if c.dateOnly {
			return dateInZone(x, zone)
		}
		if x.Location() == time.UTC {
			return v
		}
		return x.UTC()
	case []string:
		if len(x) == 0 {
			return nil // an empty set is an empty value: NULL, as sqlparse compares it
		}
		return sqlparse.JSONArray(x)
	case []int64:
		if len(x) == 0 {
			return nil
		}
		return sqlparse.JSONArray(x)
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
		return sqlparse.JSONArray(labels)
	case int:
		return int64(x)
	}
	return sqlparse.JSONArray(v)
}

// dateInZone turns the UTC instant SharePoint stores for a date-only value
// (midnight in the site's time zone, e.g. 2024-03-10T05:00:00Z for New
// York) back into that calendar date, as midnight UTC — so a report shows
// the date the user entered, not the day before.
func dateInZone(t time.Time, zone *time.Location) time.Time {
	if zone == nil {
		zone = time.UTC
	}
	local := t.In(zone)
	return time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
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
