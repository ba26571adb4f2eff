package sptest

import (
	"time"
)

// List is one SharePoint list of a Site. Only Title is required; every other
// property has SharePoint's default or is derived the way SharePoint derives
// it when a list is created through the UI.
type List struct {
	// Title is the display name, what getbytitle('…') matches
	// (case-insensitively, as SharePoint does).
	Title string `json:"Title"`
	// ID is the list's GUID, without braces. Empty: a GUID derived from the
	// title, so that a site's GUIDs are the same on every run.
	ID          string `json:"ID,omitempty"`
	Description string `json:"Description,omitempty"`
	// BaseTemplate is 100 (custom list) when zero.
	BaseTemplate int  `json:"BaseTemplate,omitempty"`
	Hidden       bool `json:"Hidden,omitempty"`
	// EntityTypeName and ListItemEntityTypeFullName are derived from the
	// title when empty: "Tasks" → "TasksList" and "SP.Data.TasksListItem",
	// "Project Tasks" → "Project_x0020_TasksList" (docs/sharepoint.md §7.4). Set them
	// to emulate lists whose names SharePoint derived differently (renamed
	// lists keep their first name's entity type).
	EntityTypeName             string `json:"EntityTypeName,omitempty"`
	ListItemEntityTypeFullName string `json:"ListItemEntityTypeFullName,omitempty"`
	// Fields are the list's own columns. The system columns every list has
	// (ID, Title, Created, Modified, Author, Editor, Attachments, GUID, …)
	// are added automatically; declare a field with InternalName "Title" to
	// change the Title column's display name or make it optional.
	Fields []Field `json:"Fields,omitempty"`
	// Items are the list's items. Ignored when Generator is set.
	Items []Item `json:"Items,omitempty"`
	// Generator produces the items on demand instead of Items, for lists too
	// large to hold in memory (see Synthetic).
	Generator Generator `json:"-"`
	// Threshold is the list view threshold: on a list with more items than
	// this, filtering or sorting on a non-indexed column fails (docs/sharepoint.md
	// §9.1). 0 means the server's threshold (WithThreshold, default 5000).
	Threshold int `json:"Threshold,omitempty"`
	// Created is the list's creation time; zero means 2024-01-02T09:00:00Z.
	Created time.Time `json:"Created,omitzero"`
}

// Field is a column of a List.
type Field struct {
	// Title is the display name, e.g. "Due Date".
	Title string `json:"Title"`
	// InternalName is the immutable name; derived from Title when empty the
	// way SharePoint does it: every character other than an ASCII letter or
	// digit becomes _xHHHH_ (space → _x0020_), cut to 32 characters
	// (docs/sharepoint.md §7.3).
	InternalName string `json:"InternalName,omitempty"`
	// Type is SharePoint's TypeAsString: Text, Note, Number, Currency,
	// Integer, Counter, DateTime, Boolean, Choice, MultiChoice, Lookup,
	// LookupMulti, User, UserMulti, URL, Calculated, Guid, Computed,
	// Attachments, TaxonomyFieldType, TaxonomyFieldTypeMulti or
	// Geolocation.
	Type string `json:"Type"`
	// Choices are the options of a Choice or MultiChoice field.
	Choices []string `json:"Choices,omitempty"`
	// LookupList is the title or GUID of the list a Lookup or LookupMulti
	// field points to. User fields always point to the site's users.
	LookupList string `json:"LookupList,omitempty"`
	// LookupField is the internal name of the looked-up column shown in the
	// lookup; default "Title".
	LookupField string `json:"LookupField,omitempty"`
	// OutputType is a Calculated field's result type: Text (default),
	// Number, Currency, DateTime or Boolean. The REST API reports it as a
	// FieldTypeKind number, as recorded (OutputType 2 for Text).
	OutputType string `json:"OutputType,omitempty"`
	// Formula is a Calculated field's formula, reported as metadata only:
	// the emulator does not evaluate it; items carry the computed values.
	Formula  string `json:"Formula,omitempty"`
	Required bool   `json:"Required,omitempty"`
	ReadOnly bool   `json:"ReadOnly,omitempty"`
	Hidden   bool   `json:"Hidden,omitempty"`
	// Indexed columns may be filtered and sorted on lists larger than the
	// list view threshold.
	Indexed bool `json:"Indexed,omitempty"`
	// DisplayFormat is "DateOnly" or "DateTime" (default) for DateTime
	// fields. Date-only values are stored as the site's local midnight,
	// in UTC, as SharePoint stores them (docs/sharepoint.md §6.8).
	DisplayFormat string `json:"DisplayFormat,omitempty"`
	// Description is shown in the field's metadata.
	Description string `json:"Description,omitempty"`
	// ID is the field's GUID; derived from the list and name when empty.
	ID string `json:"ID,omitempty"`
}

// Item is one list item: values keyed by a field's internal name or entity
// property name ("Project_x0020_Code", "DueDate", "ProjectId" for a lookup).
// Values are Go values of the field's type:
//
//   - Text, Note, Choice, Guid: string
//   - Number, Currency: float64 (any Go number is accepted)
//   - Integer: int
//   - DateTime: time.Time, or a string in RFC 3339 or "2006-01-02" form
//   - Boolean: bool
//   - MultiChoice: []string
//   - Lookup: the looked-up item's ID (int); LookupMulti: []int
//   - User: a user ID (int) or a user's Email, LoginName or Title (string);
//     UserMulti: []int or []string
//   - URL: URLValue, or a string (the URL, used as description too)
//   - Calculated: the computed value, of the OutputType's Go type
//   - TaxonomyFieldType: TaxonomyValue; TaxonomyFieldTypeMulti: []TaxonomyValue
//   - Geolocation: GeolocationValue
//
// nil or a missing key is an empty value. "ID" (or "Id") is assigned when
// missing: one more than the highest ID so far. Created, Modified, Author
// and Editor default to fixed, deterministic values.
type Item map[string]any

// URLValue is the value of a URL (hyperlink) field.
type URLValue struct {
	URL         string `json:"Url"`
	Description string `json:"Description"`
}

// TaxonomyValue is the value of a managed metadata (taxonomy) field, in the
// shape SharePoint returns (docs/sharepoint.md §6.5: Label, TermGuid, WssId).
type TaxonomyValue struct {
	Label    string `json:"Label"`
	TermGuid string `json:"TermGuid"`
	WssId    int    `json:"WssId"` //lint:ignore ST1003 SharePoint's JSON name
}

// User is a site user, an item of the hidden "User Information List" that
// User fields (Author, Editor, person columns) point to.
type User struct {
	ID        int    `json:"ID"`
	Title     string `json:"Title"`     // display name
	Email     string `json:"Email"`     // returned as EMail
	LoginName string `json:"LoginName"` // returned as Name, e.g. "i:0#.f|membership|ada@contoso.com"
}

// DefaultUsers are the users a Site has when it declares none. User 11 is
// the default Author and Editor, the ID recorded responses show for the
// account that created items.
func DefaultUsers() []User {
	mk := func(id int, name, mail string) User {
		return User{ID: id, Title: name, Email: mail, LoginName: "i:0#.f|membership|" + mail}
	}
	return []User{
		mk(6, "Ada Lovelace", "ada.lovelace@contoso.onmicrosoft.com"),
		mk(7, "Grace Hopper", "grace.hopper@contoso.onmicrosoft.com"),
		mk(8, "Alan Turing", "alan.turing@contoso.onmicrosoft.com"),
		mk(9, "Katherine Johnson", "katherine.johnson@contoso.onmicrosoft.com"),
		mk(10, "Edsger Dijkstra", "edsger.dijkstra@contoso.onmicrosoft.com"),
		mk(11, "Sharon Admin", "admin@contoso.onmicrosoft.com"),
		mk(12, "Linus Tørvald", "linus.torvald@contoso.onmicrosoft.com"),
		mk(13, "Zoë O'Neil", "zoe.oneil@contoso.onmicrosoft.com"),
	}
}

// defaultAuthorID is the user recorded responses show as AuthorId/EditorId.
const defaultAuthorID = 11

// WithThreshold sets the list view threshold of lists that do not set their
// own (List.Threshold); default 5000, SharePoint Online's.
func WithThreshold(n int) Option { return func(c *config) { c.threshold = n } }
