package sptest

import "strings"

// taxonomyProps are the properties a managed metadata field adds to
// SP.Field's, in SharePoint's order and with its values for a field
// bound to no term set, as recorded (docs/sharepoint.md §6.10). TextField
// is the GUID of the field's hidden note column (docs/sharepoint.md §6.5);
// LookupList the site's TaxonomyHiddenList, which the emulator does not
// serve, under a GUID of its own.
func (s *Server) taxonomyProps(l *listModel, f *fieldModel) []kv {
	const zero = "00000000-0000-0000-0000-000000000000"
	textField := zero
	if note := l.byName[strings.ToLower(taxonomyNoteName(f.ID))]; note != nil {
		textField = note.ID
	}
	return []kv{
		{"AllowMultipleValues", f.logical == ltTaxonomyMulti},
		{"DependentLookupInternalNames", []string{}},
		{"IsDependentLookup", false},
		{"IsRelationship", true},
		{"LookupField", "Term$Resources:core,Language;"},
		{"LookupList", "{" + stableGUID("list", s.site.Path, "TaxonomyHiddenList") + "}"},
		{"LookupWebId", s.webID()},
		{"PrimaryFieldId", nil},
		{"RelationshipDeleteBehavior", 0},
		{"UnlimitedLengthInDocumentLibrary", false},
		{"AnchorId", zero},
		{"CreateValuesInEditForm", false},
		{"IsAnchorValid", true},
		{"IsDocTagsEnabled", false},
		{"IsKeyword", false},
		{"IsPathRendered", false},
		{"IsTermSetValid", false},
		{"Open", false},
		{"SspId", zero},
		{"TargetTemplate", nil},
		{"TermSetId", zero},
		{"TextField", textField},
		{"UserCreated", false},
	}
}

// taxonomyNoteName is the internal name of a taxonomy field's hidden
// note column: the field's GUID without dashes, a leading digit replaced
// by 'p' (docs/sharepoint.md §6.5), as model.go names it.
func taxonomyNoteName(id string) string {
	hexID := strings.ReplaceAll(id, "-", "")
	if hexID != "" && hexID[0] >= '0' && hexID[0] <= '9' {
		hexID = "p" + hexID[1:]
	}
	return hexID
}

// taxonomyJSLink is a managed metadata field's JSLink, as recorded.
const taxonomyJSLink = "SP.UI.Taxonomy.js|SP.UI.Rte.js(d)|SP.Taxonomy.js(d)|ScriptForWebTaggingUI.js(d)"

// set replaces the value of key (case-insensitive) in o, if o has it.
func (o obj) set(key string, v any) {
	for i := range o {
		if strings.EqualFold(o[i].k, key) {
			o[i].v = v
			return
		}
	}
}
