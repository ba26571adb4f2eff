package sharepoint

import (
	"fmt"
	"strings"
)

// ValueType is the Go type of a column's values in the rows Items yields.
type ValueType int

// Value types. A nil value is SQL NULL in every type.
const (
	ValueString     ValueType = iota // string
	ValueInt                         // int64
	ValueFloat                       // float64
	ValueTime                        // time.Time, in UTC
	ValueBool                        // bool
	ValueStrings                     // []string (MultiChoice, multi-value sub-fields)
	ValueInts                        // []int64 (LookupMulti/UserMulti IDs)
	ValueURL                         // URLValue
	ValueTaxonomy                    // TaxonomyValue
	ValueTaxonomies                  // []TaxonomyValue
)

// URLValue is a Hyperlink or Picture field's value.
type URLValue struct {
	URL         string `json:"Url"`
	Description string `json:"Description"`
}

// TaxonomyValue is a managed metadata field's value. SharePoint's REST API
// may put the WssId in Label for single values (docs/sharepoint.md §6.5).
type TaxonomyValue struct {
	Label    string `json:"Label"`
	TermGuid string `json:"TermGuid"`
	WssID    int64  `json:"WssId"`
}

// Column is one column of the rows Items yields, resolved from a name in
// Query.Select against the list's fields.
type Column struct {
	// Name is the name as SharePoint spells it in $select: an entity
	// property name ("DueDate", "OData__UIVersionString"), a lookup's ID
	// ("ProjectId", "AuthorId") or an expanded sub-field ("Author/Title").
	Name string
	// Field is the list field the column reads.
	Field *Field
	// Type is the Go type of the column's values.
	Type ValueType

	key      string // the JSON property carrying the value
	subField string // for "X/Title": "Title", read inside the object under key
	multi    bool   // for sub-fields of LookupMulti/UserMulti
}

// TypeName is the field's type as SharePoint's TypeAsString names it
// ("Text", "LookupMulti", "TaxonomyFieldType"…): the one name by which
// ValueType, IsLookup, IsUser, IsMulti, CountsTowardLookupThreshold and
// DateOnly decide. It is Type as reported, with two corrections:
//   - Type empty (a server, a $select or a caller that left TypeAsString
//     out): the type FieldTypeKind stands for (SharePoint's FieldType
//     enumeration, see fieldKindNames). Managed metadata fields have no
//     kind of their own (0, as recorded) and read as text then.
//   - A Lookup, User or TaxonomyFieldType field that allows multiple
//     values: its Multi form. SharePoint reports those as LookupMulti,
//     UserMulti and TaxonomyFieldTypeMulti (as recorded), under the same
//     FieldTypeKind as the single forms (7, 20, 0); AllowMultipleValues
//     is what makes the values arrive as arrays.
func (f *Field) TypeName() string {
	t := f.Type
	if t == "" {
		t = fieldKindNames[f.Kind]
	}
	if f.AllowMultiple {
		switch t {
		case "Lookup", "User", "TaxonomyFieldType":
			t += "Multi"
		}
	}
	return t
}

// fieldKindNames are the TypeAsString names of FieldTypeKind values, from
// SharePoint's FieldType enumeration (Microsoft.SharePoint.Client).
var fieldKindNames = map[int]string{
	1: "Integer", 2: "Text", 3: "Note", 4: "DateTime", 5: "Counter", 6: "Choice",
	7: "Lookup", 8: "Boolean", 9: "Number", 10: "Currency", 11: "URL", 12: "Computed",
	13: "Threading", 14: "Guid", 15: "MultiChoice", 16: "GridChoice", 17: "Calculated",
	18: "File", 19: "Attachments", 20: "User", 21: "Recurrence", 22: "CrossProjectLink",
	23: "ModStat", 24: "Error", 25: "ContentTypeId", 26: "PageSeparator", 27: "ThreadIndex",
	28: "WorkflowStatus", 29: "AllDayEvent", 30: "WorkflowEventType", 31: "Geolocation",
	32: "OutcomeChoice", 33: "Location", 34: "Thumbnail",
}

// IsLookup reports a lookup or person field (Lookup, LookupMulti, User,
// UserMulti): its value is the ID of an item of another list, read as
// "XId", or a field of that item as "X/Title" with X expanded.
func (f *Field) IsLookup() bool {
	switch f.TypeName() {
	case "Lookup", "LookupMulti", "User", "UserMulti":
		return true
	}
	return false
}

// IsUser reports a person or group field (User, UserMulti).
func (f *Field) IsUser() bool {
	t := f.TypeName()
	return t == "User" || t == "UserMulti"
}

// IsMulti reports a field whose values are sets (MultiChoice,
// LookupMulti, UserMulti, TaxonomyFieldTypeMulti): ValueType is then
// ValueStrings, ValueInts or ValueTaxonomies. SharePoint cannot filter
// or sort on them.
func (f *Field) IsMulti() bool {
	switch f.ValueType() {
	case ValueStrings, ValueInts, ValueTaxonomies:
		return true
	}
	return false
}

// CountsTowardLookupThreshold reports a field that one items request
// counts toward SharePoint's lookup column threshold (LookupThreshold)
// when it selects, expands, filters or sorts on it. Microsoft describes
// the threshold as a limit on joins, naming lookup, person or group,
// managed metadata (single and multiple) and workflow status columns:
// every IsLookup field (reading only its ID still joins), managed
// metadata and WorkflowStatus fields count. Reports disagree on whether
// SharePoint Online still counts managed metadata; counting a field it
// does not costs at most one request more, while not counting one it
// does gets the query refused. Hidden system fields of type Lookup
// (FileRef, FSObjType…) count too, by the same reasoning.
func (f *Field) CountsTowardLookupThreshold() bool {
	switch f.TypeName() {
	case "TaxonomyFieldType", "TaxonomyFieldTypeMulti", "WorkflowStatus":
		return true
	}
	return f.IsLookup()
}

// ValueType is the Go type of the field's own values in the rows Items
// yields, by TypeName (the type table of docs/sharepoint.md §6.2); for a
// lookup or person, of its ID ("XId"). A Calculated field's values are
// typed by its OutputType, although SharePoint sends every calculated
// value as a string.
func (f *Field) ValueType() ValueType {
	t := f.TypeName()
	if t == "Calculated" {
		switch f.OutputType {
		case KindInteger, kindCounter, KindNumber, KindCurrency, KindDateTime, KindBoolean:
			t = fieldKindNames[f.OutputType]
		default:
			return ValueString
		}
	}
	switch t {
	case "Counter", "Integer":
		return ValueInt
	case "Number", "Currency":
		return ValueFloat
	case "DateTime":
		return ValueTime
	case "Boolean", "Attachments", "AllDayEvent", "Recurrence":
		return ValueBool
	case "MultiChoice":
		return ValueStrings
	case "URL":
		return ValueURL
	case "TaxonomyFieldType":
		return ValueTaxonomy
	case "TaxonomyFieldTypeMulti":
		return ValueTaxonomies
	case "Lookup", "User":
		return ValueInt
	case "LookupMulti", "UserMulti":
		return ValueInts
	}
	return ValueString
}

// resolveColumns maps the names of a Query.Select to columns. Names match
// entity property names, internal names or titles, case-insensitively;
// "XId" names a lookup's or person's ID and "X/Y" a field Y of the item X
// points at (X is then expanded). It returns the names to send in $select
// and the lookups to $expand.
func resolveColumns(list string, fields []Field, names []string) (cols []Column, selects, expands []string, err error) {
	find := func(name string) *Field { return findField(fields, name) }
	seenExpand := map[string]bool{}
	for _, name := range names {
		name = strings.TrimSpace(name)
		var col Column
		switch parent, sub, dotted := strings.Cut(name, "/"); {
		case dotted:
			f := find(parent)
			if f == nil || !f.IsLookup() {
				return nil, nil, nil, columnError(list, name, "is not a lookup or person column, so it has no sub-fields")
			}
			col = Column{Name: f.EntityPropertyName + "/" + sub, Field: f, key: f.EntityPropertyName, subField: sub, Type: ValueString}
			if f.IsMulti() {
				col.Type, col.multi = ValueStrings, true
			}
			if !seenExpand[f.EntityPropertyName] {
				seenExpand[f.EntityPropertyName] = true
				expands = append(expands, f.EntityPropertyName)
			}
		default:
			if f := find(name); f != nil && !f.IsLookup() {
				col = Column{Name: f.EntityPropertyName, Field: f, key: f.EntityPropertyName, Type: f.ValueType()}
				break
			} else if f != nil {
				return nil, nil, nil, columnError(list, name, fmt.Sprintf("is a %s column: select %sId for its ID or %s/Title for its value", f.Type, f.EntityPropertyName, f.EntityPropertyName))
			}
			base, isID := strings.CutSuffix(name, "Id")
			if !isID {
				base, isID = strings.CutSuffix(name, "ID")
			}
			f := find(base)
			if !isID || f == nil || !f.IsLookup() {
				if strings.EqualFold(name, "Id") { // the item's Id property, the ID field's twin
					if f := find("ID"); f != nil {
						col = Column{Name: "Id", Field: f, key: "Id", Type: ValueInt}
						break
					}
				}
				return nil, nil, nil, columnError(list, name, "does not exist")
			}
			col = Column{Name: f.EntityPropertyName + "Id", Field: f, key: f.EntityPropertyName + "Id", Type: f.ValueType()}
		}
		cols = append(cols, col)
		selects = append(selects, col.Name)
	}
	return cols, selects, expands, nil
}

// findField finds the field a name in a Query means: by entity property
// name, else internal name, else title, case-insensitively; nil if none.
func findField(fields []Field, name string) *Field {
	for _, by := range []func(*Field) string{
		func(f *Field) string { return f.EntityPropertyName },
		func(f *Field) string { return f.InternalName },
		func(f *Field) string { return f.Title },
	} {
		for i := range fields {
			if strings.EqualFold(by(&fields[i]), name) {
				return &fields[i]
			}
		}
	}
	return nil
}

// columnError is a local ErrFieldNotFound: the request is refused before
// it is sent.
func columnError(list, name, why string) error {
	return &ColumnError{List: list, Column: name, Reason: why}
}

// ColumnError reports a column that a query names but the list does not
// have (or cannot be read as asked). It matches ErrFieldNotFound.
type ColumnError struct {
	List, Column, Reason string
}

func (e *ColumnError) Error() string {
	return fmt.Sprintf("sharepoint: column %q of list %q %s", e.Column, e.List, e.Reason)
}

// Is makes errors.Is(err, ErrFieldNotFound) true.
func (e *ColumnError) Is(target error) bool { return target == ErrFieldNotFound }
