package engine

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// WriteKind says what a WritePlan does.
type WriteKind int

const (
	WriteInsert WriteKind = iota + 1
	WriteUpdate
	WriteDelete
)

// WriteOptions tune BuildWrite.
type WriteOptions struct {
	// Location is the site's time zone: a date string written to a
	// date-only field means midnight there (as when reading). Nil is UTC.
	Location *time.Location
	// AllowFullTableWrites lets UPDATE and DELETE without WHERE touch the
	// whole list. Without it such a statement must say WHERE 1=1.
	AllowFullTableWrites bool
	// PageSize is the $top of the ID selection (default
	// sharepoint.DefaultPageSize).
	PageSize int
}

// WritePlan is an INSERT, UPDATE or DELETE resolved against a list.
// Values are typed for the client's JSON encoder (sharepoint.Values):
// string, int64, float64, bool, time.Time in UTC, []string (MultiChoice),
// []int64 (LookupMulti/UserMulti IDs), sharepoint.URLValue, or nil.
type WritePlan struct {
	Kind WriteKind
	// List is the list's title as written in the statement.
	List string
	// Rows are the new items of an INSERT, one per VALUES row, keyed by
	// entity property name (lookups as XId).
	Rows []sharepoint.Values
	// Set is an UPDATE's new values, the same for every item.
	Set sharepoint.Values
	// IDs are the items an UPDATE or DELETE targets when its WHERE names
	// them (ID = n, ID IN (…)): no read is needed. Ascending, unique.
	IDs []int
	// Select, when not nil, selects the targets' IDs first (with the
	// write's arguments): SELECT ID FROM list WHERE …, planned and run as
	// any SELECT, pushdown included, for any other WHERE (or the whole
	// list).
	Select *sqlparse.Select
}

// readOnlyNames are SharePoint's system fields that no write may set,
// whatever their ReadOnlyField says.
var readOnlyNames = map[string]bool{
	"id": true, "created": true, "modified": true, "author": true, "editor": true,
	"attachments": true, "guid": true, "uniqueid": true, "fileref": true, "fileleafref": true,
	"owshiddenversion": true, "_uiversionstring": true, "contenttypeid": true, "contenttype": true,
	"_moderationstatus": true, "fsobjtype": true, "itemchildcount": true, "folderchildcount": true,
}

// readOnlyTypes are field types whose value SharePoint computes.
var readOnlyTypes = map[string]bool{"Calculated": true, "Computed": true, "Counter": true, "File": true, "Lookup (read-only)": true}

// PlanWrite plans an INSERT, UPDATE or DELETE against the fields of its
// list, read from src. As for a query, a column the cached fields lack
// re-reads them once before failing: the list may have changed.
func PlanWrite(ctx context.Context, st sqlparse.Statement, src Source, args []driver.NamedValue, opts WriteOptions) (*WritePlan, error) {
	var list string
	switch s := st.(type) {
	case *sqlparse.Insert:
		list = s.List
	case *sqlparse.Update:
		list = s.List
	case *sqlparse.Delete:
		list = s.List
	default:
		return nil, fmt.Errorf("spsql: PlanWrite needs INSERT, UPDATE or DELETE, not %T", st)
	}
	for attempt := 0; ; attempt++ {
		fields, err := src.Fields(ctx, list)
		if err != nil {
			return nil, err
		}
		wp, err := BuildWrite(st, list, fields, args, opts)
		if err != nil && attempt == 0 && errors.Is(err, sharepoint.ErrFieldNotFound) {
			src.Invalidate(list)
			continue
		}
		return wp, err
	}
}

// BuildWrite resolves an *Insert, *Update or *Delete against the fields
// of list and binds args. Every value is typed and checked against its
// field before anything is sent: a read-only field, a value of the wrong
// type, or an UPDATE/DELETE of the whole list that was not meant is an
// error naming the field or the rule.
func BuildWrite(st sqlparse.Statement, list string, fields []sharepoint.Field, args []driver.NamedValue, opts WriteOptions) (*WritePlan, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	var params map[string]sqlparse.Placeholder
	var name string
	switch s := st.(type) {
	case *sqlparse.Insert:
		params, name = s.Params, s.List
	case *sqlparse.Update:
		params, name = s.Params, s.List
	case *sqlparse.Delete:
		params, name = s.Params, s.List
	default:
		return nil, fmt.Errorf("spsql: BuildWrite needs INSERT, UPDATE or DELETE, not %T", st)
	}
	if list == "" {
		list = name
	}
	values, err := sqlparse.BindArgs(params, args)
	if err != nil {
		return nil, err
	}
	b := &binder{r: newResolver(list, "", fields, opts.Location), values: values}
	wp := &WritePlan{List: list}
	switch s := st.(type) {
	case *sqlparse.Insert:
		wp.Kind = WriteInsert
		targets := make([]writeTarget, len(s.Columns))
		seen := map[string]bool{}
		for i, col := range s.Columns {
			if targets[i], err = b.writeTarget(col); err != nil {
				return nil, err
			}
			if seen[targets[i].prop] {
				return nil, fmt.Errorf("spsql: column %q is given twice", col)
			}
			seen[targets[i].prop] = true
		}
		for r, row := range s.Rows {
			item := make(sharepoint.Values, len(row))
			for i, n := range row {
				v, err := b.writeValue(targets[i], n)
				if err != nil {
					return nil, fmt.Errorf("%w (row %d)", err, r+1)
				}
				item[targets[i].prop] = v
			}
			wp.Rows = append(wp.Rows, item)
		}
		return wp, nil
	case *sqlparse.Update:
		wp.Kind = WriteUpdate
		wp.Set = make(sharepoint.Values, len(s.Set))
		for _, a := range s.Set {
			t, err := b.writeTarget(a.Col)
			if err != nil {
				return nil, err
			}
			if _, dup := wp.Set[t.prop]; dup {
				return nil, fmt.Errorf("spsql: column %q is set twice", a.Col)
			}
			if wp.Set[t.prop], err = b.writeValue(t, a.Val); err != nil {
				return nil, err
			}
		}
		return wp, wp.targets(b, s.Where, fields, args, params, opts, "UPDATE")
	case *sqlparse.Delete:
		wp.Kind = WriteDelete
		return wp, wp.targets(b, s.Where, fields, args, params, opts, "DELETE")
	}
	return nil, nil // unreachable: the switch above is complete
}

// targets decides which items an UPDATE or DELETE touches: the IDs its
// WHERE names, or a SELECT ID plan for anything else.
func (wp *WritePlan) targets(b *binder, where sqlparse.Expr, fields []sharepoint.Field, args []driver.NamedValue, params map[string]sqlparse.Placeholder, opts WriteOptions, verb string) error {
	if where == nil && !opts.AllowFullTableWrites {
		return fmt.Errorf("spsql: %s without WHERE would change every item of %q; write WHERE 1=1 if that is meant, or set AllowFullTableWrites=true on the connection", verb, wp.List)
	}
	if isOneEqualsOne(where) {
		where = nil
	}
	if ids, ok := b.directIDs(where); ok {
		wp.IDs = ids
		return nil
	}
	wp.Select = &sqlparse.Select{List: wp.List, Items: []sqlparse.SelectItem{{Expr: &sqlparse.ColumnRef{Path: []string{"ID"}}}}, Where: where, Params: params}
	return nil
}

// isOneEqualsOne reports the literal WHERE 1=1 that says "the whole list".
func isOneEqualsOne(n sqlparse.Expr) bool {
	c, ok := n.(*sqlparse.Comparison)
	if !ok || c.Op != "=" {
		return false
	}
	l, lok := c.L.(*sqlparse.Literal)
	r, rok := c.R.(*sqlparse.Literal)
	return lok && rok && l.Value == int64(1) && r.Value == int64(1)
}

// directIDs recognises WHERE ID = v and WHERE ID IN (v, …) with constant
// values, which address items without a read. Anything else is false.
func (b *binder) directIDs(where sqlparse.Expr) ([]int, bool) {
	isID := func(n sqlparse.Expr) bool {
		c, ok := n.(*sqlparse.ColumnRef)
		return ok && len(c.Path) == 1 && strings.EqualFold(c.Path[0], "ID")
	}
	var operands []sqlparse.Expr
	switch w := where.(type) {
	case *sqlparse.Comparison:
		switch {
		case w.Op == "=" && isID(w.L):
			operands = []sqlparse.Expr{w.R}
		case w.Op == "=" && isID(w.R):
			operands = []sqlparse.Expr{w.L}
		default:
			return nil, false
		}
	case *sqlparse.In:
		if w.Not || !isID(w.X) {
			return nil, false
		}
		operands = w.List
	default:
		return nil, false
	}
	var ids []int
	for _, n := range operands {
		e, err := b.resolve(n)
		if err != nil || e.op != opConst {
			return nil, false
		}
		id, ok := e.val.(int64)
		if !ok {
			return nil, false // strings, NULL…: the SELECT path types them
		}
		if id > 0 && id <= math.MaxInt32 {
			ids = append(ids, int(id))
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), true
}

// writeTarget is a column being written.
type writeTarget struct {
	col   *column
	field *sharepoint.Field
	prop  string // the JSON property: entity name, or XId for lookups
	name  string // as written, for messages
}

func (b *binder) writeTarget(name string) (writeTarget, error) {
	c, err := b.r.resolveName(name)
	if err != nil {
		// Computed fields and the like fail in resolveName for reading;
		// for writing the read-only message is the helpful one.
		if f, ferr := b.r.findField(name); ferr == nil && f != nil && readOnlyField(f) {
			return writeTarget{}, readOnlyError(name, f)
		}
		return writeTarget{}, err
	}
	f := c.field
	t := writeTarget{col: c, field: f, name: name}
	if readOnlyField(f) {
		return writeTarget{}, readOnlyError(name, f)
	}
	switch c.kind {
	case colID:
		t.prop = f.EntityPropertyName + "Id"
	case colValue:
		t.prop = f.EntityPropertyName
	default:
		if f.IsLookup() {
			return writeTarget{}, fmt.Errorf("spsql: column %q is a %s column: write its item ID through %sId", name, f.Type, f.EntityPropertyName)
		}
		return writeTarget{}, fmt.Errorf("spsql: %q cannot be written; write the column %q itself", name, f.Title)
	}
	if c.kind == colValue && f.IsLookup() {
		return writeTarget{}, fmt.Errorf("spsql: column %q is a %s column: write its item ID through %sId", name, f.Type, f.EntityPropertyName)
	}
	switch f.Type {
	case "TaxonomyFieldType", "TaxonomyFieldTypeMulti", "Geolocation", "Location", "Thumbnail":
		return writeTarget{}, fmt.Errorf("spsql: writing %s columns (%q) is not supported yet", f.Type, name)
	}
	return t, nil
}

func readOnlyField(f *sharepoint.Field) bool {
	return f.ReadOnly || readOnlyTypes[f.Type] || readOnlyNames[strings.ToLower(f.InternalName)]
}

func readOnlyError(name string, f *sharepoint.Field) error {
	return fmt.Errorf("spsql: column %q (%s, %s) is read-only: SharePoint sets it; leave it out of the statement", name, f.InternalName, f.Type)
}

// writeValue evaluates a value (a literal, a placeholder, or a constant
// expression over them) and converts it to the field's JSON type.
func (b *binder) writeValue(t writeTarget, n sqlparse.Expr) (any, error) {
	e, err := b.resolve(n)
	if err != nil {
		return nil, err
	}
	if e.op != opConst && e.op != opCol {
		if e, err = foldConstant(e); err != nil {
			return nil, err
		}
	}
	if e.op != opConst {
		return nil, fmt.Errorf("spsql: the value for %q must be a constant or a placeholder, not %s", t.name, e.text)
	}
	v := e.val
	if v == nil {
		if t.field.IsMulti() && t.col.kind == colID {
			return []int64{}, nil // SharePoint clears a multi-lookup with an empty set
		}
		return nil, nil
	}
	bad := func(want string) error {
		return fmt.Errorf("spsql: column %q is %s and takes %s, not %s", t.name, t.field.Type, want, e.text)
	}
	f := t.field
	if t.col.kind == colID {
		if f.IsMulti() {
			ids, err := parseIDList(v)
			if err != nil {
				return nil, fmt.Errorf("spsql: column %q takes item IDs as a JSON array ('[1,2]') or a comma-separated list: %w", t.name, err)
			}
			return ids, nil
		}
		id, ok := toInt64(v)
		if !ok || id <= 0 {
			return nil, bad("an item ID (a positive integer)")
		}
		return id, nil
	}
	switch f.Type {
	case "Text", "Note", "Choice":
		s, ok := v.(string)
		if !ok {
			return nil, bad("text")
		}
		if f.Type == "Text" && len([]rune(s)) > 255 {
			return nil, fmt.Errorf("spsql: column %q is a single line of text: at most 255 characters, got %d", t.name, len([]rune(s)))
		}
		return s, nil
	case "Integer":
		if s, ok := v.(string); ok {
			i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return nil, bad("an integer")
			}
			return i, nil
		}
		i, ok := toInt64(v)
		if !ok {
			return nil, bad("an integer")
		}
		return i, nil
	case "Number", "Currency":
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			return x, nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f, nil
			}
		}
		return nil, bad("a number")
	case "Boolean":
		c, err := coerceConst(constant(v), &rexpr{op: opCol, col: t.col, typ: tBool, text: t.name})
		if err != nil {
			return nil, err
		}
		if bv, ok := c.val.(bool); ok {
			return bv, nil
		}
		return nil, bad("true or false")
	case "DateTime":
		c, err := coerceConst(constant(v), &rexpr{op: opCol, col: t.col, typ: tTime, text: t.name})
		if err != nil {
			return nil, bad("a date: 'YYYY-MM-DD', 'YYYY-MM-DD hh:mm:ss' (UTC), RFC 3339 or a time.Time")
		}
		if tv, ok := c.val.(time.Time); ok {
			return tv.UTC(), nil
		}
		return nil, bad("a time.Time or an ISO-8601 date")
	case "MultiChoice":
		s, ok := v.(string)
		if !ok {
			return nil, bad(`a JSON array of strings ('["A","B"]')`)
		}
		var arr []string
		if err := json.Unmarshal([]byte(s), &arr); err != nil {
			return nil, bad(`a JSON array of strings ('["A","B"]')`)
		}
		if arr == nil {
			arr = []string{}
		}
		return arr, nil
	case "URL":
		s, ok := v.(string)
		if !ok {
			return nil, bad("a URL")
		}
		return sharepoint.URLValue{URL: s, Description: s}, nil
	case "Guid":
		s, ok := v.(string)
		if g, valid := guidText(s); ok && valid {
			return g, nil
		}
		return nil, bad("a GUID ('6f1c3bde-58f7-4b3e-9d0c-2a4d7c9e1f00')")
	}
	return nil, fmt.Errorf("spsql: writing %s columns (%q) is not supported yet", f.Type, t.name)
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return i, err == nil
	}
	return 0, false
}

// parseIDList reads a multi-lookup's IDs: a JSON array ("[1,2]"), a
// comma-separated list ("1,2"), or one integer.
func parseIDList(v any) ([]int64, error) {
	if i, ok := v.(int64); ok {
		if i <= 0 {
			return nil, fmt.Errorf("%d is not an item ID", i)
		}
		return []int64{i}, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("got %v", v)
	}
	s = strings.TrimSpace(s)
	ids := []int64{}
	if strings.HasPrefix(s, "[") {
		if err := json.Unmarshal([]byte(s), &ids); err != nil {
			return nil, fmt.Errorf("%q is not a JSON array of integers", s)
		}
	} else if s != "" {
		for _, p := range strings.Split(s, ",") {
			i, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not an integer", p)
			}
			ids = append(ids, i)
		}
	}
	for _, i := range ids {
		if i <= 0 {
			return nil, fmt.Errorf("%d is not an item ID", i)
		}
	}
	return ids, nil
}

var (
	_ sqlparse.Statement = (*sqlparse.Insert)(nil)
	_ sqlparse.Statement = (*sqlparse.Update)(nil)
	_ sqlparse.Statement = (*sqlparse.Delete)(nil)
)

// guidText checks a GUID written as 8-4-4-4-12 hex digits, with or
// without braces, and returns it in SharePoint's lower-case form.
func guidText(s string) (string, bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "{"), "}")
	if len(s) != 36 {
		return "", false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return "", false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return "", false
			}
		}
	}
	return strings.ToLower(s), true
}
