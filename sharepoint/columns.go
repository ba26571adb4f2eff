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

// isMulti reports the field types whose values are sets.
func isMulti(f *Field) bool {
	switch f.Type {
	case "LookupMulti", "UserMulti", "MultiChoice", "TaxonomyFieldTypeMulti":
		return true
	}
	return f.AllowMultiple
}

// isLookup reports the field types whose values live in another list
// (read as "XId" or, expanded, "X/Title").
func isLookup(f *Field) bool {
	switch f.Type {
	case "Lookup", "LookupMulti", "User", "UserMulti":
		return true
	}
	return false
}

// valueType maps a field to the Go type of its values (the type table of
// docs/sharepoint.md §6.2; Calculated by its OutputType, since SharePoint sends every
// calculated value as a string).
func valueType(f *Field) ValueType {
	t, kind := f.Type, f.Kind
	if t == "Calculated" {
		kind = f.OutputType
		t = ""
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
	case "MultiChoice", "GridChoice", "OutcomeChoice":
		if t == "MultiChoice" {
			return ValueStrings
		}
		return ValueString
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
	case "":
	default:
		return ValueString
	}
	switch kind { // a Calculated field's OutputType
	case 1, 5:
		return ValueInt
	case KindNumber, KindCurrency:
		return ValueFloat
	case KindDateTime:
		return ValueTime
	case KindBoolean:
		return ValueBool
	}
	return ValueString
}

// resolveColumns maps the names of a Query.Select to columns. Names match
// entity property names, internal names or titles, case-insensitively;
// "XId" names a lookup's or person's ID and "X/Y" a field Y of the item X
// points at (X is then expanded). It returns the names to send in $select
// and the lookups to $expand.
func resolveColumns(list string, fields []Field, names []string) (cols []Column, selects, expands []string, err error) {
	find := func(name string) *Field {
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
	seenExpand := map[string]bool{}
	for _, name := range names {
		name = strings.TrimSpace(name)
		var col Column
		switch parent, sub, dotted := strings.Cut(name, "/"); {
		case dotted:
			f := find(parent)
			if f == nil || !isLookup(f) {
				return nil, nil, nil, columnError(list, name, "is not a lookup or person column, so it has no sub-fields")
			}
			col = Column{Name: f.EntityPropertyName + "/" + sub, Field: f, key: f.EntityPropertyName, subField: sub, Type: ValueString}
			if isMulti(f) {
				col.Type, col.multi = ValueStrings, true
			}
			if !seenExpand[f.EntityPropertyName] {
				seenExpand[f.EntityPropertyName] = true
				expands = append(expands, f.EntityPropertyName)
			}
		default:
			if f := find(name); f != nil && !isLookup(f) {
				col = Column{Name: f.EntityPropertyName, Field: f, key: f.EntityPropertyName, Type: valueType(f)}
				break
			} else if f != nil {
				return nil, nil, nil, columnError(list, name, fmt.Sprintf("is a %s column: select %sId for its ID or %s/Title for its value", f.Type, f.EntityPropertyName, f.EntityPropertyName))
			}
			base, isID := strings.CutSuffix(name, "Id")
			if !isID {
				base, isID = strings.CutSuffix(name, "ID")
			}
			f := find(base)
			if !isID || f == nil || !isLookup(f) {
				if strings.EqualFold(name, "Id") { // the item's Id property, the ID field's twin
					if f := find("ID"); f != nil {
						col = Column{Name: "Id", Field: f, key: "Id", Type: ValueInt}
						break
					}
				}
				return nil, nil, nil, columnError(list, name, "does not exist")
			}
			col = Column{Name: f.EntityPropertyName + "Id", Field: f, key: f.EntityPropertyName + "Id", Type: valueType(f)}
		}
		cols = append(cols, col)
		selects = append(selects, col.Name)
	}
	return cols, selects, expands, nil
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
