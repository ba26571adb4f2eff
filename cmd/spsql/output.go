package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Output formats accepted by --format.
const (
	formatTable = "table"
	formatCSV   = "csv"
	formatTSV   = "tsv"
	formatJSON  = "json"
	formatJSONL = "jsonl"
)

var formats = []string{formatTable, formatCSV, formatTSV, formatJSON, formatJSONL}

// tableSample is how many rows the table format reads before it fixes the
// column widths: enough to look right, few enough to keep memory flat.
const tableSample = 1000

// resultWriter writes the rows of one query in a format. Every format
// streams: memory stays flat however many rows come.
type resultWriter struct {
	format   string
	expanded bool // \x: one "column | value" block per row (table format)
	// progress, if set, is called after every row with the running count.
	progress func(rows int64)
}

// write consumes rows and returns how many it wrote.
func (rw *resultWriter) write(w io.Writer, rows *sql.Rows) (int64, error) {
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var n int64
	switch rw.format {
	case formatCSV, formatTSV:
		n, err = rw.writeDelimited(bw, rows, cols)
	case formatJSON, formatJSONL:
		n, err = rw.writeJSON(bw, rows, cols)
	case formatTable, "":
		if rw.expanded {
			n, err = rw.writeExpanded(bw, rows, cols)
		} else {
			n, err = rw.writeTable(bw, rows, cols)
		}
	default:
		return 0, fmt.Errorf("unknown format %q (want one of %s)", rw.format, strings.Join(formats, ", "))
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return n, err
}

// scanRow reads the current row as driver-typed values (int64, float64,
// bool, time.Time, string, []byte or nil).
func scanRow(rows *sql.Rows, n int) ([]any, error) {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			vals[i] = string(b)
		}
	}
	return vals, nil
}

func (rw *resultWriter) tick(n int64) {
	if rw.progress != nil {
		rw.progress(n)
	}
}

// writeDelimited writes CSV (RFC 4180: a header line, CRLF line ends,
// quotes where needed) or TSV (tab-separated; tabs, newlines and
// backslashes in values escaped as \t, \n, \\). NULL is an empty field.
func (rw *resultWriter) writeDelimited(w *bufio.Writer, rows *sql.Rows, cols []string) (int64, error) {
	var n int64
	if rw.format == formatCSV {
		cw := csv.NewWriter(w)
		cw.UseCRLF = true
		if err := cw.Write(cols); err != nil {
			return 0, err
		}
		record := make([]string, len(cols))
		for rows.Next() {
			vals, err := scanRow(rows, len(cols))
			if err != nil {
				return n, err
			}
			for i, v := range vals {
				record[i] = plainText(v)
			}
			if err := cw.Write(record); err != nil {
				return n, err
			}
			n++
			rw.tick(n)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
		return n, rows.Err()
	}
	tsvEscape := strings.NewReplacer("\\", `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
	w.WriteString(strings.Join(escapeAll(cols, tsvEscape), "\t") + "\n")
	for rows.Next() {
		vals, err := scanRow(rows, len(cols))
		if err != nil {
			return n, err
		}
		for i, v := range vals {
			if i > 0 {
				w.WriteByte('\t')
			}
			w.WriteString(tsvEscape.Replace(plainText(v)))
		}
		w.WriteByte('\n')
		n++
		rw.tick(n)
	}
	return n, rows.Err()
}

func escapeAll(s []string, r *strings.Replacer) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = r.Replace(x)
	}
	return out
}

// writeJSON writes one array of objects (json) or one object a line
// (jsonl), keyed by column name in column order, with typed values:
// numbers as numbers, booleans, times in RFC 3339, NULL as null.
func (rw *resultWriter) writeJSON(w *bufio.Writer, rows *sql.Rows, cols []string) (int64, error) {
	keys := make([][]byte, len(cols))
	for i, c := range cols {
		k, _ := marshalJSON(c)
		keys[i] = k
	}
	var n int64
	array := rw.format == formatJSON
	if array {
		w.WriteByte('[')
	}
	for rows.Next() {
		vals, err := scanRow(rows, len(cols))
		if err != nil {
			return n, err
		}
		if array {
			if n > 0 {
				w.WriteByte(',')
			}
			w.WriteString("\n  ")
		}
		w.WriteByte('{')
		for i, v := range vals {
			if i > 0 {
				w.WriteByte(',')
			}
			w.Write(keys[i])
			w.WriteByte(':')
			b, err := marshalJSON(jsonValue(v))
			if err != nil {
				return n, fmt.Errorf("column %s: %w", cols[i], err)
			}
			w.Write(b)
		}
		w.WriteByte('}')
		if !array {
			w.WriteByte('\n')
		}
		n++
		rw.tick(n)
	}
	if array {
		if n > 0 {
			w.WriteByte('\n')
		}
		w.WriteString("]\n")
	}
	return n, rows.Err()
}

// marshalJSON is json.Marshal without HTML escaping: output is for files
// and terminals, where "&" should stay "&", not become "\u0026".
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// jsonValue maps a driver value to what encoding/json should print.
// Multi-value columns arrive as JSON array text and are emitted as arrays
// (json.RawMessage) rather than as strings holding JSON.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case string:
		if len(x) >= 2 && x[0] == '[' && x[len(x)-1] == ']' && json.Valid([]byte(x)) {
			return json.RawMessage(x)
		}
	}
	return v
}

// plainText is a value as text for CSV, TSV and tables: NULL is "".
func plainText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// tableText is plainText for the aligned table: NULL shows as "NULL" and
// control characters as spaces, so a value never breaks the grid.
func tableText(v any) string {
	if v == nil {
		return "NULL"
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' {
			return ' '
		}
		return r
	}, plainText(v))
}

// writeTable writes an aligned table. Widths come from the header and the
// first tableSample rows; later, wider values widen only their own line.
func (rw *resultWriter) writeTable(w *bufio.Writer, rows *sql.Rows, cols []string) (int64, error) {
	widths := make([]int, len(cols))
	numeric := make([]bool, len(cols))
	for i, c := range cols {
		widths[i] = utf8.RuneCountInString(c)
	}
	var sample [][]any
	for len(sample) < tableSample && rows.Next() {
		vals, err := scanRow(rows, len(cols))
		if err != nil {
			return 0, err
		}
		for i, v := range vals {
			widths[i] = max(widths[i], utf8.RuneCountInString(tableText(v)))
			switch v.(type) {
			case int64, float64:
				numeric[i] = true
			}
		}
		sample = append(sample, vals)
	}
	line := func(vals []string) {
		for i, s := range vals {
			if i > 0 {
				w.WriteString(" | ")
			}
			pad := strings.Repeat(" ", max(0, widths[i]-utf8.RuneCountInString(s)))
			if numeric[i] {
				w.WriteString(pad + s)
			} else if i == len(vals)-1 {
				w.WriteString(s)
			} else {
				w.WriteString(s + pad)
			}
		}
		w.WriteByte('\n')
	}
	line(cols)
	for i := range cols {
		if i > 0 {
			w.WriteString("-+-")
		}
		w.WriteString(strings.Repeat("-", widths[i]))
	}
	w.WriteByte('\n')
	var n int64
	texts := make([]string, len(cols))
	emit := func(vals []any) {
		for i, v := range vals {
			texts[i] = tableText(v)
		}
		line(texts)
		n++
		rw.tick(n)
	}
	for _, vals := range sample {
		emit(vals)
	}
	sample = nil
	for rows.Next() {
		vals, err := scanRow(rows, len(cols))
		if err != nil {
			return n, err
		}
		emit(vals)
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	fmt.Fprintf(w, "(%d %s)\n", n, plural(n, "row", "rows"))
	return n, nil
}

// writeExpanded writes each row as a block of "column | value" lines.
func (rw *resultWriter) writeExpanded(w *bufio.Writer, rows *sql.Rows, cols []string) (int64, error) {
	width := 0
	for _, c := range cols {
		width = max(width, utf8.RuneCountInString(c))
	}
	var n int64
	for rows.Next() {
		vals, err := scanRow(rows, len(cols))
		if err != nil {
			return n, err
		}
		n++
		fmt.Fprintf(w, "-[ RECORD %d ]%s\n", n, strings.Repeat("-", max(0, width-8)))
		for i, v := range vals {
			fmt.Fprintf(w, "%-*s | %s\n", width, cols[i], tableText(v))
		}
		rw.tick(n)
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if n == 0 {
		w.WriteString("(0 rows)\n")
	}
	return n, nil
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
