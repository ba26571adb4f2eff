package sharepoint

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Schema writes: creating and deleting lists and columns, for tools that
// need scratch lists (the conformance kit). The driver itself never
// changes a site's schema. The request forms are the documented ones
// (docs/sharepoint.md §7.7).

// NewField describes a column to create with CreateField.
type NewField struct {
	// Name becomes the internal name (SharePoint escapes characters other
	// than ASCII letters and digits, docs/sharepoint.md §7.3).
	Name string
	// DisplayName is the column's title; Name when empty.
	DisplayName string
	// Type is a TypeAsString: Text, Note, Number, Currency, Integer,
	// Boolean, DateTime, Choice, MultiChoice, Lookup, LookupMulti, User,
	// UserMulti, URL or Guid.
	Type string
	// DateOnly makes a DateTime column show dates only.
	DateOnly bool
	// Choices are a Choice or MultiChoice column's options.
	Choices []string
	// LookupListID is the GUID of a Lookup column's list; LookupField the
	// internal name of the column it shows (default Title).
	LookupListID string
	LookupField  string
}

// schemaXML renders f as a CAML <Field> element.
func (f NewField) schemaXML() (string, error) {
	typ, mult := f.Type, false
	switch f.Type {
	case "LookupMulti":
		typ, mult = "LookupMulti", true
	case "UserMulti":
		typ, mult = "UserMulti", true
	case "Text", "Note", "Number", "Currency", "Integer", "Boolean", "DateTime", "Choice", "MultiChoice", "Lookup", "User", "URL", "Guid":
	default:
		return "", fmt.Errorf("sharepoint: cannot create a column of type %q", f.Type)
	}
	display := f.DisplayName
	if display == "" {
		display = f.Name
	}
	var b bytes.Buffer
	attr := func(name, value string) {
		b.WriteString(" " + name + `="`)
		_ = xml.EscapeText(&b, []byte(value))
		b.WriteString(`"`)
	}
	b.WriteString("<Field")
	attr("Type", typ)
	attr("Name", f.Name)
	attr("StaticName", f.Name)
	attr("DisplayName", display)
	if mult {
		attr("Mult", "TRUE")
	}
	if f.DateOnly {
		attr("Format", "DateOnly")
	}
	if typ == "Note" {
		// Plain text: a rich text column's values come back as HTML.
		attr("RichText", "FALSE")
	}
	if f.LookupListID != "" {
		attr("List", "{"+strings.Trim(f.LookupListID, "{}")+"}")
		field := f.LookupField
		if field == "" {
			field = "Title"
		}
		attr("ShowField", field)
	}
	if len(f.Choices) == 0 {
		b.WriteString("/>")
		return b.String(), nil
	}
	b.WriteString("><CHOICES>")
	for _, c := range f.Choices {
		b.WriteString("<CHOICE>")
		_ = xml.EscapeText(&b, []byte(c))
		b.WriteString("</CHOICE>")
	}
	b.WriteString("</CHOICES></Field>")
	return b.String(), nil
}

// CreateList creates a custom list (template 100) titled title and
// returns its metadata (POST web/lists with an SP.List body). A failure
// matches ErrWriteNotApplied or ErrWriteInDoubt.
func (c *Client) CreateList(ctx context.Context, title, description string) (List, error) {
	body, _ := json.Marshal(map[string]any{
		"__metadata":   map[string]string{"type": "SP.List"},
		"BaseTemplate": 100, "Title": title, "Description": description,
		"AllowContentTypes": true, "ContentTypesEnabled": false,
	})
	var l List
	err := c.doWrite(ctx, http.MethodPost, c.apiURL("_api/web/lists"), &writeBody{contentType: verboseJSON, body: body},
		func(resp *http.Response) error {
			data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
			if err == nil {
				err = json.Unmarshal(data, &l)
			}
			if err == nil && l.ID == "" {
				err = fmt.Errorf("the answer has no Id")
			}
			if err != nil {
				return fmt.Errorf("sharepoint: list %q was created, but the answer could not be read (%v): delete it by hand if needed", title, err)
			}
			return nil
		})
	c.InvalidateItemCounts()
	c.Invalidate(title)
	return l, err
}

// CreateField adds a column to list (POST …/fields/createfieldasxml with
// the AddFieldInternalNameHint option, so that Name is the internal name
// and DisplayName the title; docs/sharepoint.md §7.7). A failure matches
// ErrWriteNotApplied or ErrWriteInDoubt.
func (c *Client) CreateField(ctx context.Context, list string, f NewField) (Field, error) {
	schema, err := f.schemaXML()
	if err != nil {
		return Field{}, notApplied(err)
	}
	body, _ := json.Marshal(map[string]any{"parameters": map[string]any{
		"__metadata": map[string]string{"type": "SP.XmlSchemaFieldCreationInformation"},
		"SchemaXml":  schema,
		"Options":    8, // AddFieldInternalNameHint
	}})
	var out Field
	err = c.doWrite(ctx, http.MethodPost, c.apiURL(ListPath(list)+"/fields/createfieldasxml"), &writeBody{contentType: verboseJSON, body: body},
		func(resp *http.Response) error {
			data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
			if err == nil {
				err = json.Unmarshal(data, &out)
			}
			if err != nil {
				return fmt.Errorf("sharepoint: column %q was created in list %q, but the answer could not be read: %v", f.Name, list, err)
			}
			return nil
		})
	c.Invalidate(list)
	return out, err
}

// DeleteList deletes the list titled title outright (X-HTTP-Method:
// DELETE, IF-MATCH: *; docs/sharepoint.md §7.7). A failure matches
// ErrWriteNotApplied or ErrWriteInDoubt; a list that does not exist
// matches ErrListNotFound too.
func (c *Client) DeleteList(ctx context.Context, title string) error {
	err := c.doWrite(ctx, http.MethodPost, c.apiURL(ListPath(title)), &writeBody{
		contentType: verboseJSON,
		headers:     map[string]string{"X-HTTP-Method": "DELETE", "IF-MATCH": "*"},
	}, discardBody)
	c.InvalidateItemCounts()
	c.Invalidate(title)
	return err
}
