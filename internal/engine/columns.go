package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-spsql/spsql/internal/suggest"
	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// colKind says which part of a field a column reads.
type colKind int

const (
	colValue   colKind = iota // the field's own value ("Title", "DueDate", "Tags")
	colID                     // a lookup's or person's item ID ("ProjectId")
	colSub                    // a field of the item a lookup or person points at ("Project/Title")
	colURLDesc                // a Hyperlink field's description
)

// column is one value the plan reads from the items response: a name in
// Query.Select, how to read it from a fetched row, and how (whether) it
// can appear in $filter and $orderby.
type column struct {
	sel   string // the name in Query.Select
	field *sharepoint.Field
	kind  colKind
	part  string // colSub: the sub-field ("Title", "EMail")

	vtype  sharepoint.ValueType // the Go type of the fetched value
	typ    sqlType              // the SQL type the evaluator sees
	dbType string               // DatabaseTypeName

	filterName string // the name in $filter and $orderby
	expand     string // lookup to $expand when filterName is a sub-field
	pushOps    map[string]bool
	likeOK     bool // startswith/substringof allowed
	nullOK     bool // eq null / ne null allowed
	sortable   bool // $orderby allowed
	neverNull  bool // SharePoint always sets it (ID, Created, Author…)
	dateOnly   bool
	loc        *time.Location // the site's zone, for date-only fields

	idx int // position in Query.Select, -1 until needed

	count bool // a COUNT of a grouped row: never NULL
}

var (
	allOps = map[string]bool{"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true}
	eqNe   = map[string]bool{"eq": true, "ne": true}
	eqOnly = map[string]bool{"eq": true}
)

// resolver resolves names against one list's fields and hands out one
// *column per distinct Query.Select name.
type resolver struct {
	list    string
	quals   []string // names that qualify a column as the list's: its alias and name
	fields  []sharepoint.Field
	loc     *time.Location
	columns map[string]*column // by lower-cased sel
}

func newResolver(list, alias string, fields []sharepoint.Field, loc *time.Location) *resolver {
	r := &resolver{list: list, fields: fields, loc: loc, columns: map[string]*column{}}
	r.quals = []string{list}
	if alias != "" {
		r.quals = append(r.quals, alias)
	}
	return r
}

// resolvePath resolves a column reference as written: Title, t.Title,
// Project.Title, t.Author.EMail, "Due Date", ProjectId, Link.Description.
// It also returns the result column name (the path without the table
// qualifier).
func (r *resolver) resolvePath(path []string) (*column, string, error) {
	if len(path) >= 2 && r.isQualifier(path[0]) {
		path = path[1:]
	}
	written := strings.Join(path, ".")
	switch len(path) {
	case 1:
		c, err := r.resolveName(path[0])
		return c, written, err
	case 2:
		c, err := r.resolveSub(path[0], path[1])
		return c, written, err
	}
	return nil, written, fmt.Errorf("spsql: %s: a column path has at most two parts (Lookup.Field)", written)
}

func (r *resolver) isQualifier(s string) bool {
	for _, q := range r.quals {
		if strings.EqualFold(q, s) {
			return true
		}
	}
	return false
}

// resolveName resolves a single name: a field by display, internal or
// entity name; else XId for a lookup's ID; else a quoted "X.Y" or "X/Y".
func (r *resolver) resolveName(name string) (*column, error) {
	f, err := r.findField(name)
	if err != nil {
		return nil, err
	}
	if f != nil {
		return r.valueColumn(f)
	}
	if len(name) > 2 && strings.EqualFold(name[len(name)-2:], "id") {
		if base, err := r.findField(name[:len(name)-2]); err == nil && base != nil && base.IsLookup() {
			return r.idColumn(base), nil
		}
	}
	for _, sep := range []string{".", "/"} {
		if parent, sub, ok := strings.Cut(name, sep); ok && parent != "" && sub != "" {
			if f, _ := r.findField(parent); f != nil {
				return r.resolveSub(parent, sub)
			}
		}
	}
	return nil, r.unknownColumn(name)
}

// resolveSub resolves Parent.Sub: a lookup's or person's sub-field, its
// Id, or a Hyperlink's Url or Description.
func (r *resolver) resolveSub(parent, sub string) (*column, error) {
	f, err := r.findField(parent)
	if err != nil {
		return nil, err
	}
	if f == nil {
		if r.isQualifier(parent) {
			return r.resolveName(sub)
		}
		return nil, r.unknownParent(parent, sub)
	}
	if !isODataName(sub) {
		// The sub-field goes into $select and $filter as a name: it must
		// be one, or a quoted "Project.x eq 1 or y" could reshape the filter.
		return nil, fmt.Errorf("spsql: %q is not a field name: after %s. write the target's internal name (letters, digits and _)", sub, parent)
	}
	switch {
	case f.IsLookup():
		if strings.EqualFold(sub, "id") {
			return r.idColumn(f), nil
		}
		return r.subColumn(f, canonicalSubField(f, sub)), nil
	case f.Type == "URL":
		switch strings.ToLower(sub) {
		case "url":
			return r.valueColumn(f)
		case "description":
			return r.column(f.EntityPropertyName+"\x00desc", func() *column {
				return &column{sel: f.EntityPropertyName, field: f, kind: colURLDesc, vtype: sharepoint.ValueURL, typ: tString, dbType: "TEXT"}
			}), nil
		}
		return nil, fmt.Errorf("spsql: column %q of list %q is a Hyperlink: use %s.Url or %s.Description", parent, r.list, parent, parent)
	}
	return nil, fmt.Errorf("spsql: column %q of list %q is a %s column, so it has no sub-field %q (only lookups, persons and hyperlinks have)", parent, r.list, f.Type, sub)
}

// isODataName reports an OData property name: internal names are ASCII,
// other characters being _xHHHH_-encoded (docs/sharepoint.md §7.3).
func isODataName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isODataNameByte(s[i], i == 0) {
			return false
		}
	}
	return s != ""
}

// column returns the one *column for key, making it on first use.
func (r *resolver) column(key string, make func() *column) *column {
	key = strings.ToLower(key)
	if c, ok := r.columns[key]; ok {
		return c
	}
	c := make()
	c.idx = -1
	r.columns[key] = c
	return c
}

// valueColumn reads a field's own value; for lookups and persons that is
// the display value, read through $expand (Project/Title).
func (r *resolver) valueColumn(f *sharepoint.Field) (*column, error) {
	if f.Type == "Computed" {
		return nil, fmt.Errorf("spsql: column %q of list %q is a Computed display column, which SharePoint does not return with items", f.Title, r.list)
	}
	if f.IsLookup() {
		return r.subColumn(f, displayField(f)), nil
	}
	return r.column(f.EntityPropertyName, func() *column {
		c := &column{sel: f.EntityPropertyName, field: f, kind: colValue, vtype: f.ValueType(), filterName: f.EntityPropertyName}
		c.typ = sqlTypeOf(c.vtype)
		c.dbType = databaseTypeName(f)
		// What SharePoint can evaluate, by field type (docs/sharepoint.md §4).
		// Everything else is evaluated in the driver: Note (SharePoint
		// refuses multi-line text in filters), MultiChoice (its eq means
		// "contains", unverified), Calculated, URL, taxonomy, Guid.
		switch f.Type {
		case "Text":
			c.pushOps, c.likeOK, c.nullOK, c.sortable = allOps, true, true, true
		case "Choice":
			// Choice ordering might follow the choices' order rather than
			// the text, so ranges and $orderby are left to the driver.
			c.pushOps, c.likeOK, c.nullOK = eqNe, true, true
		case "Number", "Currency", "Integer", "Counter", "DateTime":
			c.pushOps, c.nullOK, c.sortable = allOps, true, true
		case "Boolean":
			c.pushOps, c.nullOK, c.sortable = eqNe, true, true
		}
		c.neverNull = f.Type == "Counter" || f.InternalName == "Created" || f.InternalName == "Modified"
		if f.Type == "DateTime" && f.DateOnly() {
			c.dateOnly, c.loc = true, r.loc
		}
		return c
	}), nil
}

// idColumn reads a lookup's or person's item ID(s): ProjectId.
func (r *resolver) idColumn(f *sharepoint.Field) *column {
	return r.column(f.EntityPropertyName+"Id", func() *column {
		c := &column{sel: f.EntityPropertyName + "Id", field: f, kind: colID, filterName: f.EntityPropertyName + "Id"}
		if f.IsMulti() {
			// SharePoint cannot filter multi-value lookups (docs/sharepoint.md §4.5).
			c.vtype, c.typ, c.dbType = sharepoint.ValueInts, tString, databaseTypeName(f)
		} else {
			c.vtype, c.typ, c.dbType = sharepoint.ValueInt, tInt, "INTEGER"
			c.pushOps, c.nullOK = eqNe, true
			c.neverNull = f.InternalName == "Author" || f.InternalName == "Editor"
		}
		return c
	})
}

// subColumn reads a field of the item a lookup or person points at.
func (r *resolver) subColumn(f *sharepoint.Field, sub string) *column {
	sel := f.EntityPropertyName + "/" + sub
	return r.column(sel, func() *column {
		c := &column{sel: sel, field: f, kind: colSub, part: sub, expand: f.EntityPropertyName}
		if f.IsMulti() {
			c.vtype, c.typ = sharepoint.ValueStrings, tString
		} else {
			c.vtype, c.typ = sharepoint.ValueString, tString
			// Only eq: a ne would need a null guard on a projected field,
			// which SharePoint may refuse ("Cannot get value for projected
			// field"); the driver evaluates the rest.
			c.filterName, c.pushOps = sel, eqOnly
		}
		c.dbType = "TEXT"
		if sub == displayField(f) {
			c.dbType = databaseTypeName(f)
		}
		return c
	})
}

// findField finds a field by display name first, then by internal or
// entity property name, case-insensitively. Display names can collide
// (SharePoint's own LinkTitle is "Title" too): then an internal name
// decides, else a non-computed, then a visible field; else the name is
// ambiguous. It returns nil, nil when nothing matches.
func (r *resolver) findField(name string) (*sharepoint.Field, error) {
	var byTitle, byName []*sharepoint.Field
	for i := range r.fields {
		f := &r.fields[i]
		if strings.EqualFold(f.Title, name) {
			byTitle = append(byTitle, f)
		}
		if strings.EqualFold(f.InternalName, name) || strings.EqualFold(f.EntityPropertyName, name) {
			byName = append(byName, f)
		}
	}
	if len(byTitle) == 1 {
		return byTitle[0], nil
	}
	if len(byName) == 1 {
		return byName[0], nil
	}
	for _, pool := range [][]*sharepoint.Field{byName, byTitle} {
		for _, keep := range []func(*sharepoint.Field) bool{
			func(f *sharepoint.Field) bool { return f.InternalName == name || f.EntityPropertyName == name },
			func(f *sharepoint.Field) bool { return f.Type != "Computed" },
			func(f *sharepoint.Field) bool { return f.Type != "Computed" && !f.Hidden },
		} {
			var kept []*sharepoint.Field
			for _, f := range pool {
				if keep(f) {
					kept = append(kept, f)
				}
			}
			if len(kept) == 1 {
				return kept[0], nil
			}
		}
	}
	if len(byTitle)+len(byName) == 0 {
		return nil, nil
	}
	var names []string
	for _, f := range append(byTitle, byName...) {
		names = append(names, f.InternalName)
	}
	return nil, fmt.Errorf("spsql: column name %q is ambiguous in list %q: it matches the fields %s; use the internal name", name, r.list, strings.Join(dedupe(names), ", "))
}

// unknownColumn is a *sharepoint.ColumnError (errors.Is matches
// sharepoint.ErrFieldNotFound, so the caller can re-read the fields once)
// suggesting the closest column name.
func (r *resolver) unknownColumn(name string) error {
	reason := "does not exist"
	if s := r.suggest(name); s != "" {
		reason += fmt.Sprintf("; did you mean %q?", s)
	} else {
		reason += describeHint(r.list)
	}
	return &sharepoint.ColumnError{List: r.list, Column: name, Reason: reason}
}

// unknownParent is the error for Parent.Sub where Parent is neither a
// column of the list nor the list's name or alias — most often a mistyped
// alias (x.Title for t.Title). It is a *sharepoint.ColumnError, like
// unknownColumn's, so that the fields are re-read once.
func (r *resolver) unknownParent(parent, sub string) error {
	reason := fmt.Sprintf("does not exist, and %q is not the list's name or alias either", parent)
	lp := strings.ToLower(parent)
	q := r.quals[len(r.quals)-1] // the alias if there is one, else the list's name
	if d := suggest.Distance(lp, strings.ToLower(q)); d <= suggest.MaxDistance(parent) && d < len(parent) {
		reason += fmt.Sprintf("; did you mean %s.%s?", q, sub)
	} else if s := r.suggest(parent); s != "" && hasSubFields(r.fields, s) {
		reason += fmt.Sprintf("; did you mean %s.%s (a lookup's field) or %s.%s?", s, sub, q, sub)
	} else {
		reason += fmt.Sprintf(": write %s.%s", q, sub)
	}
	return &sharepoint.ColumnError{List: r.list, Column: parent, Reason: reason}
}

// hasSubFields reports whether the field named name (title or internal
// name) is a lookup, person or hyperlink: one that X.Y can read into.
func hasSubFields(fields []sharepoint.Field, name string) bool {
	for i := range fields {
		if f := &fields[i]; f.Title == name || f.InternalName == name {
			return f.IsLookup() || f.Type == "URL"
		}
	}
	return false
}

// describeHint ends the error of a column with no near name: where to
// find the list's columns.
func describeHint(list string) string {
	return fmt.Sprintf(" (DESCRIBE %s lists its columns)", sqlparse.QuoteIdent(list))
}

// doubleQuotedHint adds to an unknown-column error for a name written
// in double quotes ("Blocked") that double quotes make a column name in
// this dialect, and that text takes single quotes. Other errors are
// returned as they are.
func doubleQuotedHint(n *sqlparse.ColumnRef, err error) error {
	var ce *sharepoint.ColumnError
	if !n.DoubleQuoted || !errors.As(err, &ce) {
		return err
	}
	hinted := *ce
	hinted.Reason = strings.TrimSuffix(hinted.Reason, describeHint(ce.List)) // the quotes are the mistake
	hinted.Reason += fmt.Sprintf(`; "…" quotes a column name: write text in single quotes ('%s')`, strings.ReplaceAll(n.Path[0], "'", "''"))
	return &hinted
}

// suggest returns the display or internal name closest to name by edit
// distance, visible fields first, or "" when none is close.
func (r *resolver) suggest(name string) string {
	best, bestDist := "", 0
	lname := strings.ToLower(name)
	for _, hidden := range []bool{false, true} {
		for i := range r.fields {
			f := &r.fields[i]
			if f.Hidden != hidden || f.Type == "Computed" {
				continue
			}
			for _, cand := range []string{f.Title, f.InternalName} {
				d := suggest.Distance(lname, strings.ToLower(cand))
				if best == "" || d < bestDist {
					best, bestDist = cand, d
				}
			}
		}
		if best != "" && bestDist <= suggest.MaxDistance(name) {
			return best
		}
	}
	if best != "" && bestDist <= suggest.MaxDistance(name) {
		return best
	}
	return ""
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// starColumns expands SELECT *: ID, the visible fields in list order,
// then Created, Modified, Author, Editor; with audit, the hidden and
// system fields of plain types after them. Each is named by its display
// name, or its internal name where display names collide.
func (r *resolver) starColumns(audit bool) ([]*column, []string, error) {
	var picked []*sharepoint.Field
	seen := map[string]bool{}
	add := func(f *sharepoint.Field) {
		if f != nil && !seen[f.InternalName] {
			seen[f.InternalName] = true
			picked = append(picked, f)
		}
	}
	byInternal := func(name string) *sharepoint.Field {
		for i := range r.fields {
			if r.fields[i].InternalName == name {
				return &r.fields[i]
			}
		}
		return nil
	}
	add(byInternal("ID"))
	trailing := []string{"Created", "Modified", "Author", "Editor"}
	for i := range r.fields {
		f := &r.fields[i]
		if !f.Hidden && !isSystemField(f) && !contains(trailing, f.InternalName) {
			add(f)
		}
	}
	for _, name := range trailing {
		add(byInternal(name))
	}
	if audit {
		for i := range r.fields {
			if f := &r.fields[i]; plainAuditType(f) {
				add(f)
			}
		}
	}
	titles := map[string]int{}
	for _, f := range picked {
		titles[strings.ToLower(f.Title)]++
	}
	cols := make([]*column, 0, len(picked))
	names := make([]string, 0, len(picked))
	for _, f := range picked {
		c, err := r.valueColumn(f)
		if err != nil {
			return nil, nil, err
		}
		name := f.Title
		if titles[strings.ToLower(f.Title)] > 1 || name == "" {
			name = f.InternalName
		}
		cols = append(cols, c)
		names = append(names, name)
	}
	return cols, names, nil
}

// isSystemField reports the visible fields SharePoint adds to every list
// that SELECT * leaves out: display-only (Computed) columns and
// bookkeeping (internal names starting with '_', content type,
// attachments, app authors, child counts).
func isSystemField(f *sharepoint.Field) bool {
	if f.Type == "Computed" || strings.HasPrefix(f.InternalName, "_") {
		return true
	}
	switch f.InternalName {
	case "ContentType", "ContentTypeId", "Attachments", "AppAuthor", "AppEditor", "ItemChildCount",
		"FolderChildCount", "ComplianceAssetId", "GUID", "FileLeafRef", "FileRef", "FileDirRef",
		"FSObjType", "UniqueId", "owshiddenversion", "InstanceID", "Order", "WorkflowVersion",
		"WorkflowInstanceID", "SortBehavior", "PermMask", "ScopeId", "MetaInfo", "ProgId":
		return true
	}
	return false
}

// plainAuditType reports the hidden and system fields SELECT * adds with
// AuditColumns: scalar values that SharePoint returns as they are.
// Hidden lookups (FileRef and friends are text in disguise), computed and
// file fields are left out: SharePoint refuses or mangles them in $select.
func plainAuditType(f *sharepoint.Field) bool {
	switch f.Type {
	case "Text", "Note", "Integer", "Counter", "Number", "Currency", "DateTime", "Boolean",
		"Guid", "Choice", "ContentTypeId", "Attachments":
		return true
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// canonicalSubField spells a sub-field as SharePoint does: OData names are
// case-sensitive. Person fields have a known set; for lookups only Title
// and the lookup's own LookupField are known, others pass as written
// (use the target list's internal name).
func canonicalSubField(f *sharepoint.Field, sub string) string {
	if f.IsUser() {
		for _, known := range []string{"Title", "Name", "EMail", "Id", "JobTitle", "Department", "FirstName",
			"LastName", "UserName", "SipAddress", "MobilePhone", "WorkPhone", "Office"} {
			if strings.EqualFold(known, sub) {
				return known
			}
		}
		return sub
	}
	for _, known := range []string{"Title", f.LookupField} {
		if known != "" && strings.EqualFold(known, sub) {
			return known
		}
	}
	return sub
}

// displayField is the sub-field holding a lookup's or person's display
// value: the lookup's LookupField, Title for persons.
func displayField(f *sharepoint.Field) string {
	if f.IsUser() || f.LookupField == "" {
		return "Title"
	}
	return f.LookupField
}

// databaseTypeName names a field's type for ColumnTypeDatabaseTypeName.
func databaseTypeName(f *sharepoint.Field) string {
	switch t := f.TypeName(); t {
	case "TaxonomyFieldType":
		return "TAXONOMY"
	case "TaxonomyFieldTypeMulti":
		return "TAXONOMYMULTI"
	case "Attachments":
		return "BOOLEAN"
	case "":
		return "TEXT"
	default:
		return strings.ToUpper(t)
	}
}

// isODataNameByte reports an ASCII letter, '_' or (not first) a digit:
// the bytes of an OData property name.
func isODataNameByte(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}
