package sptest

import (
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"
)

// webID is the site's (web's) GUID, reported as lookup fields' LookupWebId.
func (s *Server) webID() string { return stableGUID("web", s.site.Path) }

// listProps are the SP.List properties the emulator reports, in the order
// of the recorded web/lists answer (a subset: the ones a reader of list data
// needs, plus the common flags).
func (s *Server) listProps(l *listModel) obj {
	last := l.Created
	buf := l.scratch(nil)
	if n := l.itemCount(); n > 0 {
		if l.gen != nil {
			l.generate(n, buf)
			last = buf[l.modifiedIdx].time()
		} else {
			for _, row := range l.rows {
				if t := row[l.modifiedIdx]; t.kind == vTime && t.time().After(last) {
					last = t.time()
				}
			}
		}
	}
	parent := s.site.Path
	if parent == "" {
		parent = "/"
	}
	baseType := 0
	// Recorded per template: a custom list's icon, feature and (no)
	// document template, a library's (testdata/pnpcore/lists/).
	image, feature, docTemplate := "/_layouts/15/images/itgen.png?rev=47", "00bfea71-de22-43b2-a848-c05709900100", any(nil)
	if l.BaseTemplate == 101 {
		baseType = 1
		image, feature, docTemplate = "/_layouts/15/images/itdl.png?rev=47", "00bfea71-e717-4e80-aa17-d0c71b360101", l.serverRelURL+"/Forms/template.dotx"
	}
	// The flags and settings below are those of every recorded list
	// (all off: no IRM, no commenting or grid editing switched off, no
	// drafts, no sensitivity label); CurrentChangeToken is not sent.
	return obj{
		{"AllowContentTypes", true},
		{"BaseTemplate", l.BaseTemplate},
		{"BaseType", baseType},
		{"ContentTypesEnabled", false},
		{"CrawlNonDefaultViews", false},
		{"Created", l.Created},
		{"DefaultContentApprovalWorkflowId", "00000000-0000-0000-0000-000000000000"},
		{"DefaultItemOpenUseListSetting", false},
		{"DefaultSensitivityLabelForLibrary", ""},
		{"Description", l.Description},
		{"Direction", "none"},
		{"DisableCommenting", false},
		{"DisableGridEditing", false},
		{"DocumentTemplateUrl", docTemplate},
		{"DraftVersionVisibility", 0},
		{"EnableAttachments", true},
		{"EnableFolderCreation", false},
		{"EnableMinorVersions", false},
		{"EnableModeration", false},
		{"EnableRequestSignOff", true},
		{"EnableVersioning", true},
		{"EntityTypeName", l.entityTypeName},
		{"ExemptFromBlockDownloadOfNonViewableFiles", false},
		{"FileSavePostProcessingEnabled", false},
		{"ForceCheckout", false},
		{"HasExternalDataSource", false},
		{"Hidden", l.Hidden},
		{"Id", l.ID},
		{"ImagePath", resourcePath(image)},
		{"ImageUrl", image},
		{"IrmEnabled", false},
		{"IrmExpire", false},
		{"IrmReject", false},
		{"IsApplicationList", false},
		{"IsCatalog", false},
		{"IsPrivate", false},
		{"ItemCount", l.itemCount()},
		{"LastItemDeletedDate", l.Created},
		{"LastItemModifiedDate", last},
		{"LastItemUserModifiedDate", last},
		{"ListExperienceOptions", 0},
		{"ListItemEntityTypeFullName", l.itemType},
		{"MajorVersionLimit", 500},
		{"MajorWithMinorVersionsLimit", 0},
		{"MultipleDataList", false},
		{"NoCrawl", l.Hidden},
		{"ParentWebPath", resourcePath(parent)},
		{"ParentWebUrl", parent},
		{"ParserDisabled", false},
		{"ServerTemplateCanCreateFolders", true},
		{"TemplateFeatureId", feature},
		{"Title", l.Title},
	}
}

// resourcePath is an SP.ResourcePath property (ImagePath, ParentWebPath):
// {"DecodedUrl":…} as recorded; verbose adds its type (not recorded).
type resourcePath string

func (p resourcePath) obj(verbose bool) obj {
	if verbose {
		return obj{{"__metadata", obj{{"type", "SP.ResourcePath"}}}, {"DecodedUrl", string(p)}}
	}
	return obj{{"DecodedUrl", string(p)}}
}

func (s *Server) listMeta(l *listModel) entityMeta {
	uri := s.ServiceURL() + "/_api/Web/Lists(guid'" + l.ID + "')"
	return entityMeta{typ: "SP.List", id: uri, uri: uri, editLink: "Web/Lists(guid'" + l.ID + "')", etag: `"1"`, metadataSet: "SP.ApiData.Lists"}
}

// serveLists answers GET web/lists with $select, $filter (metadata filters
// take true/false, docs/sharepoint.md §4.6), $orderby, $top and $skip (which, unlike
// on items, works here, docs/sharepoint.md §3.4).
func (s *Server) serveLists(w http.ResponseWriter, r *http.Request, f format) {
	var rows []obj
	var metas []entityMeta
	for _, l := range s.model.lists {
		rows = append(rows, s.listProps(l))
		metas = append(metas, s.listMeta(l))
	}
	rows, metas, err := metaQuery(r, "SP.List", rows, metas)
	if err != nil {
		writeError(w, f, err)
		return
	}
	writeCollection(w, f, s.ServiceURL(), "SP.ApiData.Lists", metas, rows)
}

func (s *Server) serveListEntity(w http.ResponseWriter, r *http.Request, f format, l *listModel) {
	rows, _, err := metaQuery(r, "SP.List", []obj{s.listProps(l)}, []entityMeta{s.listMeta(l)})
	if err != nil {
		writeError(w, f, err)
		return
	}
	writeEntity(w, f, s.ServiceURL(), s.listMeta(l), rows[0], `"1"`)
}

// fieldProps are the SP.Field properties, shaped like the recorded field
// definitions (testdata/payloads/pnpcore_field_*_definition_nometadata.json),
// with the type-specific ones after the common ones.
func (s *Server) fieldProps(l *listModel, f *fieldModel) obj {
	kind, typ := f.info.kind, f.info.typeAsString
	group := "Custom Columns"
	if f.system {
		group = "_Hidden"
	}
	// Recorded: every type is filterable but Note and URL; multi-value
	// fields are filterable but not sortable (docs/sharepoint.md §6.10).
	sortable := !f.logical.isMulti() && typ != "Note" && !f.textual
	filterable := typ != "Note" && typ != "URL" && !f.textual
	o := obj{
		{"AutoIndexed", false},
		{"CanBeDeleted", !f.system},
		{"ClientSideComponentId", "00000000-0000-0000-0000-000000000000"},
		{"ClientSideComponentProperties", nil},
		{"ClientValidationFormula", nil},
		{"ClientValidationMessage", nil},
		{"CustomFormatter", nil},
		{"DefaultFormula", nil},
		{"DefaultValue", nil},
		{"Description", f.Description},
		{"Direction", "none"},
		{"EnforceUniqueValues", false},
		{"EntityPropertyName", f.entity},
		{"Filterable", filterable},
		{"FromBaseType", f.system},
		{"Group", group},
		{"Hidden", f.Hidden},
		{"Id", f.ID},
		{"Indexed", f.Indexed},
		{"IndexStatus", 0},
		{"InternalName", f.InternalName},
		{"IsModern", false},
		{"JSLink", "clienttemplates.js"},
		{"PinnedToFiltersPane", false},
		{"ReadOnlyField", f.ReadOnly},
		{"Required", f.Required},
		{"SchemaXml", s.schemaXML(l, f)},
		{"Scope", l.serverRelURL},
		{"Sealed", f.system},
		{"ShowInFiltersPane", 0},
		{"Sortable", sortable},
		{"StaticName", f.staticName},
		{"Title", f.Title},
		{"FieldTypeKind", kind},
		{"TypeAsString", typ},
		{"TypeDisplayName", f.info.displayName},
		{"TypeShortDescription", typeShortDescription(f.info)},
		{"ValidationFormula", nil},
		{"ValidationMessage", nil},
	}
	switch {
	case typ == "Text":
		o = append(o, kv{"MaxLength", 255})
	case typ == "Note":
		o = append(o, kv{"AllowHyperlink", false}, kv{"AppendOnly", false}, kv{"IsLongHyperlink", false}, kv{"NumberOfLines", 6},
			kv{"RestrictedMode", true}, kv{"RichText", false}, kv{"UnlimitedLengthInDocumentLibrary", false}, kv{"WikiLinking", false})
	case typ == "Choice" || typ == "MultiChoice":
		// Recorded: EditFormat (0 drop-down, 1 radio buttons) after
		// Choices, on Choice fields only (docs/sharepoint.md §6.10).
		o = append(o, kv{"FillInChoice", false}, kv{"Mappings", nil}, kv{"Choices", append([]string{}, f.Choices...)})
		if typ == "Choice" {
			o = append(o, kv{"EditFormat", 0})
		}
	case typ == "Number" || typ == "Currency" || typ == "Integer":
		o = append(o, kv{"CommaSeparator", true}, kv{"CustomUnitName", nil}, kv{"CustomUnitOnRight", false}, kv{"DisplayFormat", -1},
			kv{"MaximumValue", 1.7976931348623157e308}, kv{"MinimumValue", -1.7976931348623157e308}, kv{"ShowAsPercentage", false}, kv{"Unit", nil})
		if typ == "Currency" {
			o = append(o, kv{"CurrencyLocaleId", 1033})
		}
	case typ == "DateTime":
		format := 1 // SP.DateTimeFieldFormatType: 0 DateOnly, 1 DateTime
		if f.dateOnly {
			format = 0
		}
		o = append(o, kv{"DateTimeCalendarType", 0}, kv{"DateFormat", nil}, kv{"DisplayFormat", format}, kv{"FriendlyDisplayFormat", 0}, kv{"TimeFormat", nil})
	case typ == "Computed":
		o = append(o, kv{"EnableLookup", false})
	case typ == "URL":
		o = append(o, kv{"DisplayFormat", 0}) // SP.UrlFieldFormatType: 0 Hyperlink, 1 Image
	case typ == "Calculated":
		o = append(o, kv{"CurrencyLocaleId", 1033}, kv{"DateFormat", 0}, kv{"DisplayFormat", -1}, kv{"Formula", f.Formula}, kv{"OutputType", f.calcKind}, kv{"ShowAsPercentage", false})
	case f.logical == ltTaxonomy || f.logical == ltTaxonomyMulti:
		o = append(o, s.taxonomyProps(l, f)...)
		o.set("JSLink", taxonomyJSLink)
	case f.logical.isLookup():
		multi := f.logical == ltLookupMulti || f.logical == ltUserMulti
		user := f.logical == ltUser || f.logical == ltUserMulti
		// Recorded person fields: IsRelationship false, LookupField "",
		// and LookupList the user information list's GUID in braces
		// (docs/sharepoint.md §6.10).
		lookupField, lookupList := f.LookupField, f.target.ID
		if user {
			lookupField, lookupList = "", "{"+f.target.ID+"}"
		}
		o = append(o, kv{"AllowMultipleValues", multi}, kv{"DependentLookupInternalNames", []string{}}, kv{"IsDependentLookup", false},
			kv{"IsRelationship", !user}, kv{"LookupField", lookupField}, kv{"LookupList", lookupList}, kv{"LookupWebId", s.webID()},
			kv{"PrimaryFieldId", nil}, kv{"RelationshipDeleteBehavior", 0}, kv{"UnlimitedLengthInDocumentLibrary", false})
		if user {
			o = append(o, kv{"AllowDisplay", true}, kv{"Presence", true}, kv{"SelectionGroup", 0}, kv{"SelectionMode", 0}, kv{"UserDisplayOptions", nil})
		}
	}
	return o
}

// schemaXML is the field's SchemaXml attribute string.
func (s *Server) schemaXML(l *listModel, f *fieldModel) string {
	attr := func(k, v string) string { return " " + k + `="` + html.EscapeString(v) + `"` }
	var b strings.Builder
	b.WriteString("<Field")
	b.WriteString(attr("Type", f.info.typeAsString))
	b.WriteString(attr("DisplayName", f.Title))
	b.WriteString(attr("Required", strings.ToUpper(fmt.Sprint(f.Required))))
	b.WriteString(attr("ID", "{"+f.ID+"}"))
	b.WriteString(attr("SourceID", "{"+l.ID+"}"))
	b.WriteString(attr("StaticName", f.staticName))
	b.WriteString(attr("Name", f.InternalName))
	if f.Hidden {
		b.WriteString(attr("Hidden", "TRUE"))
	}
	if f.Indexed {
		b.WriteString(attr("Indexed", "TRUE"))
	}
	if f.dateOnly {
		b.WriteString(attr("Format", "DateOnly"))
	}
	if f.target != nil {
		b.WriteString(attr("List", f.target.ID))
		b.WriteString(attr("ShowField", f.LookupField))
		if f.logical == ltLookupMulti || f.logical == ltUserMulti {
			b.WriteString(attr("Mult", "TRUE"))
		}
	}
	if f.logical == ltCalculated {
		b.WriteString(attr("ResultType", f.OutputType))
		b.WriteString("><Formula>" + html.EscapeString(f.Formula) + "</Formula></Field>")
		return b.String()
	}
	if len(f.Choices) > 0 {
		b.WriteString("><CHOICES>")
		for _, c := range f.Choices {
			b.WriteString("<CHOICE>" + html.EscapeString(c) + "</CHOICE>")
		}
		b.WriteString("</CHOICES></Field>")
		return b.String()
	}
	b.WriteString(" />")
	return b.String()
}

func (s *Server) fieldMeta(l *listModel, f *fieldModel) entityMeta {
	edit := "Web/Lists(guid'" + l.ID + "')/Fields(guid'" + f.ID + "')"
	uri := s.ServiceURL() + "/_api/" + edit
	return entityMeta{typ: f.info.spType, id: uri, uri: uri, editLink: edit, metadataSet: "SP.ApiData.Fields"}
}

// serveFields answers GET …/fields with $select, $filter, $orderby, $top
// and $skip.
func (s *Server) serveFields(w http.ResponseWriter, r *http.Request, f format, l *listModel) {
	var rows []obj
	var metas []entityMeta
	for _, fm := range l.fields {
		rows = append(rows, s.fieldProps(l, fm))
		metas = append(metas, s.fieldMeta(l, fm))
	}
	rows, metas, err := metaQuery(r, "SP.Field", rows, metas)
	if err != nil {
		writeError(w, f, err)
		return
	}
	writeCollection(w, f, s.ServiceURL(), "SP.ApiData.Fields", metas, rows)
}

// serveField answers one field, or SharePoint's 400 for a name no field
// has.
func (s *Server) serveField(w http.ResponseWriter, r *http.Request, f format, l *listModel, fm *fieldModel, argOK bool) {
	if !argOK {
		writeError(w, f, errInvalidExpression(r.URL.Path))
		return
	}
	if fm == nil {
		writeError(w, f, &apiError{http.StatusBadRequest, codeArgument, "Invalid field name. It does not exist in the list."})
		return
	}
	rows, _, err := metaQuery(r, "SP.Field", []obj{s.fieldProps(l, fm)}, []entityMeta{s.fieldMeta(l, fm)})
	if err != nil {
		writeError(w, f, err)
		return
	}
	writeEntity(w, f, s.ServiceURL(), s.fieldMeta(l, fm), rows[0], "")
}

// metaKey converts a metadata property value to a sort key.
func metaKey(v any) (sortKey, category) {
	switch v := v.(type) {
	case nil:
		return sortKey{null: true}, catText
	case bool:
		if v {
			return sortKey{n: 1}, catBool
		}
		return sortKey{n: 0}, catBool
	case int:
		return sortKey{n: float64(v)}, catNumber
	case float64:
		return sortKey{n: v}, catNumber
	case time.Time:
		return sortKey{n: float64(v.Unix())}, catTime
	case string:
		return sortKey{s: v, fold: strings.ToLower(v)}, catText
	}
	return sortKey{null: true}, catNone
}
