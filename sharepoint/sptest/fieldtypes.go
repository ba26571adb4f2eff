package sptest

import "strings"

// logicalType groups TypeAsString values by how their values are stored,
// filtered and rendered.
type logicalType int

const (
	ltText          logicalType = iota // Text, Note, Choice, Computed, ContentTypeId, File
	ltNumber                           // Number, Currency
	ltInt                              // Integer, Counter
	ltBool                             // Boolean, Attachments
	ltDateTime                         // DateTime
	ltMultiChoice                      // MultiChoice
	ltLookup                           // Lookup
	ltLookupMulti                      // LookupMulti
	ltUser                             // User
	ltUserMulti                        // UserMulti
	ltURL                              // URL
	ltCalculated                       // Calculated: always rendered as a string
	ltGuid                             // Guid
	ltTaxonomy                         // TaxonomyFieldType
	ltTaxonomyMulti                    // TaxonomyFieldTypeMulti
	ltGeolocation                      // Geolocation (geolocation.go)
)

// fieldTypeInfo is what the REST API reports for a TypeAsString.
type fieldTypeInfo struct {
	typeAsString string
	kind         int    // FieldTypeKind (docs/sharepoint.md §6.1)
	spType       string // odata.type of the field object, e.g. SP.FieldText
	logical      logicalType
	displayName  string // TypeDisplayName
}

// fieldTypes is keyed by lower-cased TypeAsString. LookupMulti/UserMulti
// share kinds 7/20 with their single forms and taxonomy fields are kind 0,
// which is why clients must switch on TypeAsString (docs/sharepoint.md §6.1).
var fieldTypes = func() map[string]fieldTypeInfo {
	m := make(map[string]fieldTypeInfo)
	for _, t := range []fieldTypeInfo{
		{"Text", 2, "SP.FieldText", ltText, "Single line of text"},
		{"Note", 3, "SP.FieldMultiLineText", ltText, "Multiple lines of text"},
		{"Number", 9, "SP.FieldNumber", ltNumber, "Number"},
		{"Currency", 10, "SP.FieldCurrency", ltNumber, "Currency"},
		{"Integer", 1, "SP.Field", ltInt, "Integer"},
		{"Counter", 5, "SP.Field", ltInt, "Counter"},
		{"DateTime", 4, "SP.FieldDateTime", ltDateTime, "Date and Time"},
		{"Boolean", 8, "SP.Field", ltBool, "Yes/No"},
		{"Choice", 6, "SP.FieldChoice", ltText, "Choice"},
		{"MultiChoice", 15, "SP.FieldMultiChoice", ltMultiChoice, "Choice"},
		{"Lookup", 7, "SP.FieldLookup", ltLookup, "Lookup"},
		{"LookupMulti", 7, "SP.FieldLookup", ltLookupMulti, "Lookup"},
		{"User", 20, "SP.FieldUser", ltUser, "Person or Group"},
		{"UserMulti", 20, "SP.FieldUser", ltUserMulti, "Person or Group"},
		{"URL", 11, "SP.FieldUrl", ltURL, "Hyperlink or Picture"},
		{"Calculated", 17, "SP.FieldCalculated", ltCalculated, "Calculated"},
		{"Guid", 14, "SP.FieldGuid", ltGuid, "Guid"},
		{"Computed", 12, "SP.FieldComputed", ltText, "Computed"},
		{"Attachments", 19, "SP.Field", ltBool, "Attachments"},
		{"ContentTypeId", 25, "SP.Field", ltText, "Content Type Id"},
		{"File", 18, "SP.Field", ltText, "File"},
		{"ModStat", 23, "SP.FieldChoice", ltText, "Moderation Status"},
		{"TaxonomyFieldType", 0, "SP.Taxonomy.TaxonomyField", ltTaxonomy, "Managed Metadata"},
		{"TaxonomyFieldTypeMulti", 0, "SP.Taxonomy.TaxonomyField", ltTaxonomyMulti, "Managed Metadata"},
		{"Geolocation", 31, "SP.FieldGeolocation", ltGeolocation, "Geolocation"},
	} {
		m[strings.ToLower(t.typeAsString)] = t
	}
	return m
}()

// calculatedOutputTypes maps a Calculated field's OutputType to the logical
// type of its values and the FieldTypeKind the REST API reports (recorded:
// "OutputType": 2 for a Text result).
var calculatedOutputTypes = map[string]struct {
	logical logicalType
	kind    int
	name    string
}{
	"text":     {ltText, 2, "Text"},
	"number":   {ltNumber, 9, "Number"},
	"currency": {ltNumber, 10, "Currency"},
	"datetime": {ltDateTime, 4, "DateTime"},
	"boolean":  {ltBool, 8, "Boolean"},
}

// isMulti reports whether values of t are collections, which SharePoint
// cannot filter on (docs/sharepoint.md §4.5).
func (t logicalType) isMulti() bool {
	return t == ltMultiChoice || t == ltLookupMulti || t == ltUserMulti || t == ltTaxonomyMulti
}

// isLookup reports whether t is a lookup or person column: its value is an
// ID ("XId") and its projection needs $expand.
func (t logicalType) isLookup() bool {
	return t == ltLookup || t == ltLookupMulti || t == ltUser || t == ltUserMulti
}
