package sqlparse

import (
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
	"github.com/xwb1989/sqlparser"
)

// Insert is INSERT INTO list (col, …) VALUES (…), (…): one item per row.
type Insert struct {
	// List is the list's name as written (quotes removed).
	List string
	// Columns are the column names as written, in order.
	Columns []string

	rows   [][]node
	params map[string]placeholder
}

// Update is UPDATE list SET col = value, … [WHERE …].
type Update struct {
	// List is the list's name as written (quotes removed).
	List string

	set    []assignment
	where  node // nil without WHERE
	params map[string]placeholder
}

// Delete is DELETE FROM list [WHERE …].
type Delete struct {
	// List is the list's name as written (quotes removed).
	List string

	where  node
	params map[string]placeholder
}

type assignment struct {
	col string
	val node
}

func (*Insert) statement() {}
func (*Update) statement() {}
func (*Delete) statement() {}

// NumInput counts the statement's placeholders as Select.NumInput does.
func (s *Insert) NumInput() int { return numInput(s.params) }

// NumInput counts the statement's placeholders as Select.NumInput does.
func (s *Update) NumInput() int { return numInput(s.params) }

// NumInput counts the statement's placeholders as Select.NumInput does.
func (s *Delete) NumInput() int { return numInput(s.params) }

func numInput(params map[string]placeholder) int { return (&Select{params: params}).NumInput() }

// parseWrite parses INSERT, UPDATE and DELETE through the same parser as
// SELECT, and refuses everything outside the dialect: INSERT … SELECT,
// ON DUPLICATE KEY, multi-table forms, ORDER BY and LIMIT on writes.
func parseWrite(toks []token) (Statement, error) {
	text, params := renderForParser(toks)
	st, err := sqlparser.ParseStrictDDL(text)
	if err != nil {
		return nil, syntaxError(err, toks)
	}
	spelling := map[string]string{}
	for _, t := range toks {
		if t.kind == tkWord {
			if _, ok := spelling[strings.ToLower(t.text)]; !ok {
				spelling[strings.ToLower(t.text)] = t.text
			}
		}
	}
	respellName := func(s string) string {
		if w, ok := spelling[s]; ok && s == strings.ToLower(s) {
			return w
		}
		return s
	}
	listOf := func(tn sqlparser.TableName) (string, error) {
		if !tn.Qualifier.IsEmpty() {
			return "", fmt.Errorf("sqlparse: %s.%s cannot be written: only lists can", tn.Qualifier.String(), tn.Name.String())
		}
		return respellName(tn.Name.String()), nil
	}
	switch st := st.(type) {
	case *sqlparser.Insert:
		switch {
		case st.Action != sqlparser.InsertStr:
			return nil, errors.New("sqlparse: REPLACE is not supported: SharePoint has no keys to replace by; use UPDATE")
		case st.Ignore != "":
			return nil, errors.New("sqlparse: INSERT IGNORE is not supported")
		case len(st.OnDup) > 0:
			return nil, errors.New("sqlparse: ON DUPLICATE KEY UPDATE is not supported: SharePoint has no unique keys to collide on")
		case len(st.Columns) == 0:
			return nil, errors.New("sqlparse: INSERT needs its column list: INSERT INTO list (col, …) VALUES (…)")
		}
		list, err := listOf(st.Table)
		if err != nil {
			return nil, err
		}
		ins := &Insert{List: list, params: params}
		for _, c := range st.Columns {
			ins.Columns = append(ins.Columns, respellName(c.String()))
		}
		values, ok := st.Rows.(sqlparser.Values)
		if !ok {
			return nil, errors.New("sqlparse: INSERT … SELECT is not supported; list the rows with VALUES")
		}
		for i, tuple := range values {
			if len(tuple) != len(ins.Columns) {
				return nil, fmt.Errorf("sqlparse: INSERT row %d has %d values for %d columns", i+1, len(tuple), len(ins.Columns))
			}
			row := make([]node, len(tuple))
			for j, e := range tuple {
				if row[j], err = convertExpr(e, params); err != nil {
					return nil, err
				}
			}
			ins.rows = append(ins.rows, row)
		}
		return ins, nil
	case *sqlparser.Update:
		if len(st.OrderBy) > 0 || st.Limit != nil {
			return nil, errors.New("sqlparse: ORDER BY and LIMIT are not supported on UPDATE; narrow the WHERE clause")
		}
		list, err := singleTable(st.TableExprs, "UPDATE")
		if err != nil {
			return nil, err
		}
		up := &Update{List: respellName(list), params: params}
		for _, ue := range st.Exprs {
			if !ue.Name.Qualifier.IsEmpty() {
				return nil, fmt.Errorf("sqlparse: SET %s: name the column without a qualifier", sqlparser.String(ue.Name))
			}
			v, err := convertExpr(ue.Expr, params)
			if err != nil {
				return nil, err
			}
			up.set = append(up.set, assignment{col: respellName(ue.Name.Name.String()), val: v})
		}
		if st.Where != nil {
			if up.where, err = convertExpr(st.Where.Expr, params); err != nil {
				return nil, err
			}
		}
		return up, nil
	case *sqlparser.Delete:
		if len(st.OrderBy) > 0 || st.Limit != nil {
			return nil, errors.New("sqlparse: ORDER BY and LIMIT are not supported on DELETE; narrow the WHERE clause")
		}
		if len(st.Targets) > 0 || len(st.Partitions) > 0 {
			return nil, errors.New("sqlparse: multi-table DELETE is not supported; DELETE FROM one list")
		}
		list, err := singleTable(st.TableExprs, "DELETE")
		if err != nil {
			return nil, err
		}
		del := &Delete{List: respellName(list), params: params}
		if st.Where != nil {
			if del.where, err = convertExpr(st.Where.Expr, params); err != nil {
				return nil, err
			}
		}
		return del, nil
	}
	return nil, fmt.Errorf("sqlparse: %T statements are not supported", st)
}

// singleTable returns the one list an UPDATE or DELETE names.
func singleTable(exprs sqlparser.TableExprs, verb string) (string, error) {
	if len(exprs) != 1 {
		return "", fmt.Errorf("sqlparse: %s names one list; joins are not supported", verb)
	}
	ate, ok := exprs[0].(*sqlparser.AliasedTableExpr)
	if !ok {
		return "", fmt.Errorf("sqlparse: %s names one list; joins are not supported", verb)
	}
	tn, ok := ate.Expr.(sqlparser.TableName)
	if !ok || !tn.Qualifier.IsEmpty() {
		return "", fmt.Errorf("sqlparse: %s names one list", verb)
	}
	if !ate.As.IsEmpty() {
		return "", fmt.Errorf("sqlparse: %s does not take an alias for the list", verb)
	}
	return tn.Name.String(), nil
}

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
	// Select, when not nil, selects the targets' IDs first: its only
	// output column is ID. It is the SELECT machinery's plan, pushdown
	// included, for any other WHERE (or the whole list).
	Select *Plan
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

// BuildWrite resolves an *Insert, *Update or *Delete against the fields
// of list and binds args. Every value is typed and checked against its
// field before anything is sent: a read-only field, a value of the wrong
// type, or an UPDATE/DELETE of the whole list that was not meant is an
// error naming the field or the rule.
func BuildWrite(st Statement, list string, fields []sharepoint.Field, args []driver.NamedValue, opts WriteOptions) (*WritePlan, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	var params map[string]placeholder
	var name string
	switch s := st.(type) {
	case *Insert:
		params, name = s.params, s.List
	case *Update:
		params, name = s.params, s.List
	case *Delete:
		params, name = s.params, s.List
	default:
		return nil, fmt.Errorf("sqlparse: BuildWrite needs INSERT, UPDATE or DELETE, not %T", st)
	}
	if list == "" {
		list = name
	}
	values, err := bindArgs(params, args)
	if err != nil {
		return nil, err
	}
	b := &binder{r: newResolver(list, "", fields, opts.Location), values: values}
	wp := &WritePlan{List: list}
	switch s := st.(type) {
	case *Insert:
		wp.Kind = WriteInsert
		targets := make([]writeTarget, len(s.Columns))
		seen := map[string]bool{}
		for i, col := range s.Columns {
			if targets[i], err = b.writeTarget(col); err != nil {
				return nil, err
			}
			if seen[targets[i].prop] {
				return nil, fmt.Errorf("sqlparse: column %q is given twice", col)
			}
			seen[targets[i].prop] = true
		}
		for r, row := range s.rows {
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
	case *Update:
		wp.Kind = WriteUpdate
		wp.Set = make(sharepoint.Values, len(s.set))
		for _, a := range s.set {
			t, err := b.writeTarget(a.col)
			if err != nil {
				return nil, err
			}
			if _, dup := wp.Set[t.prop]; dup {
				return nil, fmt.Errorf("sqlparse: column %q is set twice", a.col)
			}
			if wp.Set[t.prop], err = b.writeValue(t, a.val); err != nil {
				return nil, err
			}
		}
		return wp, wp.targets(b, s.where, fields, args, params, opts, "UPDATE")
	case *Delete:
		wp.Kind = WriteDelete
		return wp, wp.targets(b, s.where, fields, args, params, opts, "DELETE")
	}
	return nil, nil // unreachable: the switch above is complete
}

// targets decides which items an UPDATE or DELETE touches: the IDs its
// WHERE names, or a SELECT ID plan for anything else.
func (wp *WritePlan) targets(b *binder, where node, fields []sharepoint.Field, args []driver.NamedValue, params map[string]placeholder, opts WriteOptions, verb string) error {
	if where == nil && !opts.AllowFullTableWrites {
		return fmt.Errorf("sqlparse: %s without WHERE would change every item of %q; write WHERE 1=1 if that is meant, or set AllowFullTableWrites=true on the connection", verb, wp.List)
	}
	if isOneEqualsOne(where) {
		where = nil
	}
	if ids, ok := b.directIDs(where); ok {
		wp.IDs = ids
		return nil
	}
	sel := &Select{List: wp.List, items: []selectItem{{expr: &colNode{path: []string{"ID"}}}}, where: where, params: params}
	plan, err := BuildPlan(sel, wp.List, fields, args, Options{Location: opts.Location, PageSize: opts.PageSize})
	if err != nil {
		return err
	}
	wp.Select = plan
	return nil
}

// isOneEqualsOne reports the literal WHERE 1=1 that says "the whole list".
func isOneEqualsOne(n node) bool {
	c, ok := n.(*cmpNode)
	if !ok || c.op != "=" {
		return false
	}
	l, lok := c.l.(*litNode)
	r, rok := c.r.(*litNode)
	return lok && rok && l.v == int64(1) && r.v == int64(1)
}

// directIDs recognises WHERE ID = v and WHERE ID IN (v, …) with constant
// values, which address items without a read. Anything else is false.
func (b *binder) directIDs(where node) ([]int, bool) {
	isID := func(n node) bool {
		c, ok := n.(*colNode)
		return ok && len(c.path) == 1 && strings.EqualFold(c.path[0], "ID")
	}
	var operands []node
	switch w := where.(type) {
	case *cmpNode:
		switch {
		case w.op == "=" && isID(w.l):
			operands = []node{w.r}
		case w.op == "=" && isID(w.r):
			operands = []node{w.l}
		default:
			return nil, false
		}
	case *inNode:
		if w.not || !isID(w.x) {
			return nil, false
		}
		operands = w.list
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
			return writeTarget{}, fmt.Errorf("sqlparse: column %q is a %s column: write its item ID through %sId", name, f.Type, f.EntityPropertyName)
		}
		return writeTarget{}, fmt.Errorf("sqlparse: %q cannot be written; write the column %q itself", name, f.Title)
	}
	if c.kind == colValue && f.IsLookup() {
		return writeTarget{}, fmt.Errorf("sqlparse: column %q is a %s column: write its item ID through %sId", name, f.Type, f.EntityPropertyName)
	}
	switch f.Type {
	case "TaxonomyFieldType", "TaxonomyFieldTypeMulti", "Geolocation", "Location", "Thumbnail":
		return writeTarget{}, fmt.Errorf("sqlparse: writing %s columns (%q) is not supported yet", f.Type, name)
	}
	return t, nil
}

func readOnlyField(f *sharepoint.Field) bool {
	return f.ReadOnly || readOnlyTypes[f.Type] || readOnlyNames[strings.ToLower(f.InternalName)]
}

func readOnlyError(name string, f *sharepoint.Field) error {
	return fmt.Errorf("sqlparse: column %q (%s, %s) is read-only: SharePoint sets it", name, f.InternalName, f.Type)
}

// writeValue evaluates a value (a literal, a placeholder, or a constant
// expression over them) and converts it to the field's JSON type.
func (b *binder) writeValue(t writeTarget, n node) (any, error) {
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
		return nil, fmt.Errorf("sqlparse: the value for %q must be a constant or a placeholder, not %s", t.name, e.text)
	}
	v := e.val
	if v == nil {
		if t.field.IsMulti() && t.col.kind == colID {
			return []int64{}, nil // SharePoint clears a multi-lookup with an empty set
		}
		return nil, nil
	}
	bad := func(want string) error {
		return fmt.Errorf("sqlparse: column %q is %s and takes %s, not %s", t.name, t.field.Type, want, e.text)
	}
	f := t.field
	if t.col.kind == colID {
		if f.IsMulti() {
			ids, err := parseIDList(v)
			if err != nil {
				return nil, fmt.Errorf("sqlparse: column %q takes item IDs as a JSON array ('[1,2]') or a comma-separated list: %w", t.name, err)
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
			return nil, fmt.Errorf("sqlparse: column %q is a single line of text: at most 255 characters, got %d", t.name, len([]rune(s)))
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
			return nil, err
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
	return nil, fmt.Errorf("sqlparse: writing %s columns (%q) is not supported yet", f.Type, t.name)
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
	_ Statement = (*Insert)(nil)
	_ Statement = (*Update)(nil)
	_ Statement = (*Delete)(nil)
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
