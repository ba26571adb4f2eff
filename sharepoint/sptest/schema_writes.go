package sptest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Schema writes: creating and deleting lists and fields through the REST
// API in the request forms SharePoint documents (docs/sharepoint.md §7.7):
//
//	POST   web/lists                        {"__metadata":{"type":"SP.List"},"Title":…,"BaseTemplate":100,…}
//	POST   <list>  X-HTTP-Method: DELETE    (IF-MATCH: * or the list's ETag); DELETE <list> too
//	POST   <list>/fields                    {"__metadata":{"type":"SP.Field"},"Title":…,"FieldTypeKind":n,…}
//	POST   <list>/fields/createfieldasxml   {"parameters":{"__metadata":{"type":"SP.XmlSchemaFieldCreationInformation"},"SchemaXml":"<Field …/>","Options":8}}
//
// where <list> is any of the list addresses reads take. Lists created so
// start empty and take item writes like declared ones. The model is
// changed under the write lock (writes.go), which reads hold for reading;
// other writes find their list before they take the lock, so a schema
// write must not run concurrently with another write (the conformance kit
// sends them one at a time). A created list's title must be new to the
// site, as on SharePoint.

// serveCreateList answers POST web/lists.
func (s *Server) serveCreateList(w http.ResponseWriter, r *http.Request, f format) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var spec struct {
		Metadata     struct{ Type string } `json:"__metadata"`
		Title        string
		Description  string
		BaseTemplate int
	}
	if err := json.Unmarshal(body, &spec); err != nil {
		writeError(w, f, errInvalidJSON())
		return
	}
	if verbose(r) && spec.Metadata.Type != "SP.List" {
		writeError(w, f, errTypeNotResolved(spec.Metadata.Type))
		return
	}
	if strings.TrimSpace(spec.Title) == "" {
		writeError(w, f, &apiError{http.StatusBadRequest, codeArgument, "The parameter 'Title' cannot be empty."})
		return
	}
	if spec.BaseTemplate == 0 {
		spec.BaseTemplate = 100
	}
	if spec.BaseTemplate != 100 {
		writeError(w, f, &apiError{http.StatusNotImplemented, "-1, Microsoft.SharePoint.Client.ClientServiceException", "sptest: only custom lists (BaseTemplate 100) can be created."})
		return
	}
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	defer s.clearSortCache()
	if s.model.listByTitle(spec.Title) != nil {
		// Recorded: pnpcore_error_500_list_title_already_exists.json.
		writeError(w, f, &apiError{http.StatusInternalServerError, "-2130575342, Microsoft.SharePoint.SPException", "A list, survey, discussion board, or document library with the specified title already exists in this Web site.  Please choose another title."})
		return
	}
	lm, err := newListModel(s.site.Path, List{
		Title: spec.Title, ID: newGUID(), Description: spec.Description,
		BaseTemplate: spec.BaseTemplate, Created: time.Now(),
	}, s.cfg.threshold)
	if err != nil {
		writeError(w, f, &apiError{http.StatusBadRequest, codeArgument, err.Error()})
		return
	}
	lm.site = &siteContext{loc: s.model.loc, users: s.model.users}
	for _, fm := range lm.fields {
		if err := s.model.resolveLookup(lm, fm); err != nil {
			writeError(w, f, &apiError{http.StatusInternalServerError, "-1, Microsoft.SharePoint.Client.ClientServiceException", err.Error()})
			return
		}
	}
	// Before the hidden user list, which stays last.
	n := len(s.model.lists)
	s.model.setLists(append(s.model.lists[:n-1:n-1], lm, s.model.userList))
	writeCreated(w, f, s.ServiceURL(), s.listMeta(lm), s.listProps(lm))
}

// serveSchemaWrite answers the schema writes addressed to list l: deleting
// it, or creating one of its fields. It reports false for requests that
// are not schema writes (item writes, answered by writes.go).
func (s *Server) serveSchemaWrite(w http.ResponseWriter, r *http.Request, f format, l *listModel, segs []segment) bool {
	method := strings.ToUpper(r.Header.Get("X-HTTP-Method"))
	if r.Method == http.MethodDelete {
		method = "DELETE"
	}
	switch {
	case len(segs) == 0 && method == "DELETE":
		s.deleteList(w, r, f, l)
	case len(segs) == 0:
		writeError(w, f, &apiError{http.StatusNotImplemented, "-1, Microsoft.SharePoint.Client.ClientServiceException", "sptest: only deleting a list (X-HTTP-Method: DELETE) is emulated; lists cannot be changed."})
	case len(segs) == 1 && segs[0].name == "fields" && !segs[0].hasArg && method == "":
		s.createField(w, r, f, l, false)
	case len(segs) == 2 && segs[0].name == "fields" && !segs[0].hasArg && segs[1].name == "createfieldasxml" && method == "":
		s.createField(w, r, f, l, true)
	case segs[0].name == "fields":
		writeError(w, f, &apiError{http.StatusNotImplemented, "-1, Microsoft.SharePoint.Client.ClientServiceException", "sptest: fields are created by POST …/fields (SP.Field) or …/fields/createfieldasxml; other field writes are not emulated."})
	default:
		return false
	}
	return true
}

func (s *Server) deleteList(w http.ResponseWriter, r *http.Request, f format, l *listModel) {
	if m := r.Header.Get("If-Match"); m != "" && m != "*" && m != `"1"` {
		writeError(w, f, &apiError{http.StatusPreconditionFailed, "-1, Microsoft.SharePoint.Client.ClientServiceException", "The request ETag value '" + m + "' does not match the object's ETag value '\"1\"'."})
		return
	}
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	defer s.clearSortCache()
	if l == s.model.userList {
		writeError(w, f, &apiError{http.StatusForbidden, "-2147024891, System.UnauthorizedAccessException", "Access denied."})
		return
	}
	for _, other := range s.model.lists {
		if other == l {
			continue
		}
		for _, fm := range other.fields {
			if fm.target == l && !fm.system {
				// SharePoint keeps such columns, pointing nowhere; the
				// emulator cannot serve a lookup without a target.
				writeError(w, f, &apiError{http.StatusNotImplemented, "-1, Microsoft.SharePoint.Client.ClientServiceException", "sptest: list '" + l.Title + "' is the target of lookup column '" + fm.InternalName + "' of list '" + other.Title + "'; delete that list first."})
				return
			}
		}
	}
	for i, other := range s.model.lists {
		if other == l {
			s.model.setLists(append(s.model.lists[:i:i], s.model.lists[i+1:]...))
			break
		}
	}
	delete(s.writes.deletedMax, l)
	w.WriteHeader(http.StatusOK)
}

// createField adds a field to l from an SP.Field body (asXML false) or an
// SP.XmlSchemaFieldCreationInformation one.
func (s *Server) createField(w http.ResponseWriter, r *http.Request, f format, l *listModel, asXML bool) {
	if l.gen != nil || l == s.model.userList {
		writeError(w, f, &apiError{http.StatusNotImplemented, "-1, Microsoft.SharePoint.Client.ClientServiceException", "sptest: fields can only be added to declared or created lists."})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var fd Field
	var aerr *apiError
	if asXML {
		fd, aerr = fieldFromSchemaXML(r, body)
	} else {
		fd, aerr = fieldFromSPField(r, body)
	}
	if aerr != nil {
		writeError(w, f, aerr)
		return
	}
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	defer s.clearSortCache()
	if fd.InternalName == "" {
		fd.InternalName = InternalName(fd.Title)
	}
	if l.field(fd.InternalName) != nil {
		writeError(w, f, &apiError{http.StatusBadRequest, "-2130575340, Microsoft.SharePoint.SPException", "A duplicate field name \"" + fd.InternalName + "\" was found."})
		return
	}
	if fd.LookupList != "" && s.model.listByTitleOrID(fd.LookupList) == nil {
		writeError(w, f, &apiError{http.StatusBadRequest, codeArgument, "List does not exist."})
		return
	}
	if aerr := s.addField(l, fd); aerr != nil {
		writeError(w, f, aerr)
		return
	}
	writeCreated(w, f, s.ServiceURL(), s.fieldMeta(l, l.field(fd.InternalName)), s.fieldProps(l, l.field(fd.InternalName)))
}

// addField rebuilds l with fd added, in place: other lists' lookups keep
// pointing at l, and items keep their values.
func (s *Server) addField(l *listModel, fd Field) *apiError {
	spec := l.List
	spec.ID = l.ID
	spec.EntityTypeName, spec.ListItemEntityTypeFullName = l.entityTypeName, l.itemType
	spec.Items, spec.Fields = nil, nil
	taxonomyNotes := map[string]bool{} // added again with their taxonomy field
	for _, fm := range l.fields {
		if fm.logical == ltTaxonomy || fm.logical == ltTaxonomyMulti {
			taxonomyNotes[fm.Title+"_0"] = true
		}
	}
	for _, fm := range l.fields {
		if (!fm.system || fm.InternalName == "Title") && !(fm.Hidden && fm.Type == "Note" && taxonomyNotes[fm.Title]) {
			spec.Fields = append(spec.Fields, fm.Field)
		}
	}
	spec.Fields = append(spec.Fields, fd)
	nl, err := newListModel(s.site.Path, spec, l.threshold)
	if err != nil {
		return &apiError{http.StatusBadRequest, codeArgument, err.Error()}
	}
	nl.site = l.site
	nl.serverRelURL = l.serverRelURL
	for _, fm := range nl.fields {
		if err := s.model.resolveLookup(nl, fm); err != nil {
			return &apiError{http.StatusBadRequest, codeArgument, err.Error()}
		}
	}
	rows := make([][]value, len(l.rows))
	for i, old := range l.rows {
		row := make([]value, len(nl.fields))
		for _, fm := range l.fields {
			if nf := nl.field(fm.InternalName); nf != nil {
				row[nf.index] = old[fm.index]
			}
		}
		rows[i] = row
	}
	nl.ids, nl.rows = l.ids, rows
	*l = *nl
	// Lookups into l name its columns by pointer: point them at the new ones.
	for _, other := range s.model.lists {
		for _, fm := range other.fields {
			if fm.target == l {
				fm.targetField = l.field(fm.LookupField)
			}
		}
	}
	return nil
}

// fieldTypeKinds maps the FieldTypeKind of an SP.Field body to a type the
// emulator can create that way (lookups and persons need the XML form).
var fieldTypeKinds = map[int]string{
	1: "Integer", 2: "Text", 3: "Note", 4: "DateTime", 6: "Choice", 8: "Boolean",
	9: "Number", 10: "Currency", 11: "URL", 14: "Guid", 15: "MultiChoice",
}

func fieldFromSPField(r *http.Request, body []byte) (Field, *apiError) {
	var spec struct {
		Metadata      struct{ Type string } `json:"__metadata"`
		Title         string
		FieldTypeKind int
		StaticName    string
		Required      any
		Choices       json.RawMessage
		DisplayFormat *int
	}
	if err := json.Unmarshal(body, &spec); err != nil {
		return Field{}, errInvalidJSON()
	}
	if verbose(r) && !strings.HasPrefix(spec.Metadata.Type, "SP.Field") {
		return Field{}, errTypeNotResolved(spec.Metadata.Type)
	}
	typ, ok := fieldTypeKinds[spec.FieldTypeKind]
	if !ok {
		return Field{}, &apiError{http.StatusNotImplemented, "-1, Microsoft.SharePoint.Client.ClientServiceException", "sptest: FieldTypeKind " + strconv.Itoa(spec.FieldTypeKind) + " cannot be created through POST …/fields; use …/fields/createfieldasxml."}
	}
	if strings.TrimSpace(spec.Title) == "" {
		return Field{}, &apiError{http.StatusBadRequest, codeArgument, "The parameter 'Title' cannot be empty."}
	}
	fd := Field{Title: spec.Title, Type: typ, Required: truthy(spec.Required)}
	if len(spec.Choices) > 0 {
		var verboseChoices struct{ Results []string }
		var plain []string
		if json.Unmarshal(spec.Choices, &verboseChoices) == nil && verboseChoices.Results != nil {
			fd.Choices = verboseChoices.Results
		} else if json.Unmarshal(spec.Choices, &plain) == nil {
			fd.Choices = plain
		}
	}
	if spec.DisplayFormat != nil && *spec.DisplayFormat == 0 && typ == "DateTime" {
		fd.DisplayFormat = "DateOnly"
	}
	if (typ == "Choice" || typ == "MultiChoice") && len(fd.Choices) == 0 {
		return Field{}, &apiError{http.StatusBadRequest, codeArgument, "A choice field needs Choices."}
	}
	return fd, nil
}

// schemaField is the part of a CAML <Field> element the emulator reads.
type schemaField struct {
	Type        string   `xml:"Type,attr"`
	Name        string   `xml:"Name,attr"`
	StaticName  string   `xml:"StaticName,attr"`
	DisplayName string   `xml:"DisplayName,attr"`
	Required    string   `xml:"Required,attr"`
	Indexed     string   `xml:"Indexed,attr"`
	Format      string   `xml:"Format,attr"`
	List        string   `xml:"List,attr"`
	ShowField   string   `xml:"ShowField,attr"`
	Mult        string   `xml:"Mult,attr"`
	Choices     []string `xml:"CHOICES>CHOICE"`
}

// addFieldInternalNameHint is AddFieldOptions.AddFieldInternalNameHint:
// the schema's Name becomes the internal name (docs/sharepoint.md §7.7).
const addFieldInternalNameHint = 8

func fieldFromSchemaXML(r *http.Request, body []byte) (Field, *apiError) {
	var spec struct {
		Parameters struct {
			Metadata  struct{ Type string } `json:"__metadata"`
			SchemaXml string
			Options   int
		} `json:"parameters"`
	}
	if err := json.Unmarshal(body, &spec); err != nil {
		return Field{}, errInvalidJSON()
	}
	p := spec.Parameters
	if verbose(r) && p.Metadata.Type != "SP.XmlSchemaFieldCreationInformation" {
		return Field{}, errTypeNotResolved(p.Metadata.Type)
	}
	var sf schemaField
	if err := xml.NewDecoder(bytes.NewReader([]byte(p.SchemaXml))).Decode(&sf); err != nil || sf.Type == "" {
		return Field{}, &apiError{http.StatusBadRequest, "-2130575340, Microsoft.SharePoint.SPException", "Field type is not installed properly or the schema XML is invalid."}
	}
	typ := sf.Type
	if strings.EqualFold(typ, "Lookup") && isTrue(sf.Mult) {
		typ = "LookupMulti"
	}
	if strings.EqualFold(typ, "User") && isTrue(sf.Mult) {
		typ = "UserMulti"
	}
	info, ok := fieldTypes[strings.ToLower(typ)]
	if !ok || info.logical == ltCalculated || info.logical == ltTaxonomy || info.logical == ltTaxonomyMulti || typ == "Counter" || typ == "Computed" {
		return Field{}, &apiError{http.StatusNotImplemented, "-1, Microsoft.SharePoint.Client.ClientServiceException", "sptest: fields of type '" + sf.Type + "' cannot be created."}
	}
	display := sf.DisplayName
	if display == "" {
		display = sf.Name
	}
	if display == "" {
		return Field{}, &apiError{http.StatusBadRequest, codeArgument, "The field's schema has neither DisplayName nor Name."}
	}
	fd := Field{Title: display, Type: info.typeAsString, Required: isTrue(sf.Required), Indexed: isTrue(sf.Indexed), Choices: sf.Choices}
	// Without the hint SharePoint derives the internal name from the
	// display name; with it, from Name (docs/sharepoint.md §7.7).
	if p.Options&addFieldInternalNameHint != 0 && sf.Name != "" {
		fd.InternalName = InternalName(sf.Name)
	}
	if info.logical == ltDateTime && strings.EqualFold(sf.Format, "DateOnly") {
		fd.DisplayFormat = "DateOnly"
	}
	if info.logical == ltLookup || info.logical == ltLookupMulti {
		fd.LookupList = strings.Trim(sf.List, "{}")
		fd.LookupField = sf.ShowField
		if fd.LookupList == "" {
			return Field{}, &apiError{http.StatusBadRequest, codeArgument, "A lookup field's schema needs List."}
		}
	}
	if (fd.Type == "Choice" || fd.Type == "MultiChoice") && len(fd.Choices) == 0 {
		return Field{}, &apiError{http.StatusBadRequest, codeArgument, "A choice field needs CHOICES."}
	}
	return fd, nil
}

func isTrue(s string) bool { return strings.EqualFold(s, "TRUE") }

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

func verbose(r *http.Request) bool {
	return strings.Contains(strings.ToLower(r.Header.Get("Content-Type")), "odata=verbose")
}

func errInvalidJSON() *apiError {
	return &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "Invalid JSON. A token was not recognized in the JSON content."}
}

func errTypeNotResolved(typ string) *apiError {
	return &apiError{http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "A type named '" + typ + "' could not be resolved by the model. When a model is available, each type name must resolve to a valid type."}
}

// writeCreated answers a create with 201 and the new entity, as
// SharePoint answers POST to a collection.
func writeCreated(w http.ResponseWriter, f format, site string, m entityMeta, props obj) {
	b := appendEntity(nil, f, site, m, props, true)
	if f.verbose {
		b = append(append([]byte(`{"d":`), b...), '}')
	}
	f.setHeaders(w)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b)
}
