package sptest_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// sendVerbose makes one request to a path under the site's _api with a
// verbose body, asking for nometadata (hdr adds to or overrides those).
func sendVerbose(t *testing.T, srv *sptest.Server, method, path, body string, hdr map[string]string) answer {
	t.Helper()
	headers := map[string]string{"Accept": acceptNo, "Content-Type": acceptVerbose}
	maps.Copy(headers, hdr)
	return send(t, srv, method, path, body, headers)
}

func TestListsAndFieldsAreCreatedAndDeletedThroughREST(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{}, sptest.WithoutAuth())
	defer srv.Close()

	a := sendVerbose(t, srv, "POST", "web/lists", `{"__metadata":{"type":"SP.List"},"AllowContentTypes":true,"BaseTemplate":100,"ContentTypesEnabled":true,"Description":"d","Title":"Colours"}`, nil)
	if a.status != http.StatusCreated {
		t.Fatalf("create list: %d %s", a.status, a.body)
	}
	var colours struct{ Id, ListItemEntityTypeFullName string }
	if err := json.Unmarshal(a.body, &colours); err != nil || colours.Id == "" || colours.ListItemEntityTypeFullName != "SP.Data.ColoursListItem" {
		t.Fatalf("created list answer: %v %s", err, a.body)
	}
	if a := sendVerbose(t, srv, "POST", "web/lists", `{"__metadata":{"type":"SP.List"},"BaseTemplate":100,"Title":"colours"}`, nil); a.status != 500 || !strings.Contains(string(a.body), "-2130575342") {
		t.Errorf("a second list with the same title: %d %s, want 500 -2130575342", a.status, a.body)
	}
	sendVerbose(t, srv, "POST", "web/lists", `{"__metadata":{"type":"SP.List"},"BaseTemplate":100,"Title":"Things"}`, nil)

	// The documented SP.Field form: the internal name comes from Title.
	a = sendVerbose(t, srv, "POST", "web/lists/getbytitle('Things')/fields", `{"__metadata":{"type":"SP.Field"},"Title":"Weight kg","FieldTypeKind":9,"Required":"false","StaticName":"Weight kg"}`, nil)
	if a.status != http.StatusCreated || !strings.Contains(string(a.body), `"InternalName":"Weight_x0020_kg"`) {
		t.Fatalf("SP.Field create: %d %s", a.status, a.body)
	}
	// A typed body: SP.FieldChoice with its Choices as a verbose collection.
	a = sendVerbose(t, srv, "POST", "web/lists/getbytitle('Things')/fields", `{"__metadata":{"type":"SP.FieldChoice"},"Title":"Grade","FieldTypeKind":6,"Choices":{"__metadata":{"type":"Collection(Edm.String)"},"results":["A","B"]}}`, nil)
	if a.status != http.StatusCreated || !strings.Contains(string(a.body), `"Choices":["A","B"]`) {
		t.Fatalf("SP.FieldChoice create: %d %s", a.status, a.body)
	}
	if a := sendVerbose(t, srv, "POST", "web/lists/getbytitle('Things')/fields", `{"__metadata":{"type":"SP.FieldLookup"},"Title":"Ref","FieldTypeKind":7}`, nil); a.status != 501 {
		t.Errorf("a lookup through POST …/fields: %d %s, want 501 (use createfieldasxml)", a.status, a.body)
	}
	// CreateFieldAsXml with the internal-name hint: Name is the internal
	// name, DisplayName the title; a lookup names its list by GUID.
	xmlBody := func(schema string) string {
		b, _ := json.Marshal(map[string]any{"parameters": map[string]any{
			"__metadata": map[string]any{"type": "SP.XmlSchemaFieldCreationInformation"}, "SchemaXml": schema, "Options": 8}})
		return string(b)
	}
	a = sendVerbose(t, srv, "POST", "web/lists/getbytitle('Things')/fields/createfieldasxml",
		xmlBody(`<Field Type="LookupMulti" Mult="TRUE" Name="ColourRefs" DisplayName="Colour refs" List="{`+colours.Id+`}" ShowField="Title"/>`), nil)
	if a.status != http.StatusCreated || !strings.Contains(string(a.body), `"InternalName":"ColourRefs"`) || !strings.Contains(string(a.body), `"Title":"Colour refs"`) {
		t.Fatalf("createfieldasxml lookup: %d %s", a.status, a.body)
	}
	a = sendVerbose(t, srv, "POST", "web/lists/getbytitle('Things')/fields/createfieldasxml",
		xmlBody(`<Field Type="Choice" Name="Size" DisplayName="Size choice"><CHOICES><CHOICE>S</CHOICE><CHOICE>M &amp; L</CHOICE></CHOICES></Field>`), nil)
	if a.status != http.StatusCreated || !strings.Contains(string(a.body), `"M & L"`) {
		t.Fatalf("createfieldasxml choice: %d %s", a.status, a.body)
	}
	if a := sendVerbose(t, srv, "POST", "web/lists/getbytitle('Things')/fields/createfieldasxml", xmlBody(`<Field Type="Text" Name="Size" DisplayName="Size choice"/>`), nil); a.status != 400 {
		t.Errorf("a duplicate field: %d %s, want 400", a.status, a.body)
	}

	// Items take the new columns.
	sendVerbose(t, srv, "POST", "web/lists/getbytitle('Colours')/items", `{"__metadata":{"type":"SP.Data.ColoursListItem"},"Title":"red"}`, nil)
	a = sendVerbose(t, srv, "POST", "web/lists/getbytitle('Things')/items", `{"__metadata":{"type":"SP.Data.ThingsListItem"},"Title":"box","Weight_x0020_kg":2.5,"ColourRefsId":{"results":[1]},"Size":"M & L"}`, nil)
	if a.status != http.StatusCreated {
		t.Fatalf("item create: %d %s", a.status, a.body)
	}
	got := fetch(t, srv, "web/lists/getbytitle('Things')/items?$select=Title,Weight_x0020_kg,Size,ColourRefs/Title&$expand=ColourRefs", acceptNo)
	for _, want := range []string{`"Weight_x0020_kg":2.5`, `"Size":"M & L"`, `"Title":"red"`} {
		if !strings.Contains(string(got.body), want) {
			t.Errorf("items answer lacks %s: %s", want, got.body)
		}
	}

	// Deleting: the documented POST with X-HTTP-Method, and DELETE.
	if a := sendVerbose(t, srv, "POST", "web/lists/getbytitle('Colours')", "", map[string]string{"X-HTTP-Method": "DELETE", "IF-MATCH": "*"}); a.status != 501 {
		t.Errorf("deleting a lookup's target first: %d %s, want 501 (not emulated)", a.status, a.body)
	}
	if a := sendVerbose(t, srv, "POST", "web/lists/getbytitle('Things')", "", map[string]string{"X-HTTP-Method": "DELETE", "IF-MATCH": "*"}); a.status != 200 {
		t.Errorf("delete: %d %s", a.status, a.body)
	}
	if a := sendVerbose(t, srv, "DELETE", "web/lists(guid'"+colours.Id+"')", "", map[string]string{"IF-MATCH": "*"}); a.status != 200 {
		t.Errorf("DELETE: %d %s", a.status, a.body)
	}
	lists := fetch(t, srv, "web/lists?$select=Title", acceptNo)
	if strings.Contains(string(lists.body), "Things") || strings.Contains(string(lists.body), "Colours") {
		t.Errorf("deleted lists are still listed: %s", lists.body)
	}
	if a := fetch(t, srv, "web/lists/getbytitle('Things')/items", acceptNo); a.status != 404 {
		t.Errorf("a deleted list's items: %d, want 404", a.status)
	}
}

// A date-only value written through REST keeps the calendar day the sent
// instant has in the site's zone: Berlin's midnight of 30 March 2025 is
// 2025-03-29T23:00:00Z, and it is stored as such, not as the 29th.
func TestDateOnlyWriteKeepsTheSiteZonesDay(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{TimeZone: "Europe/Berlin", Lists: []sptest.List{{Title: "Days",
		Fields: []sptest.Field{{Title: "Due", Type: "DateTime", DisplayFormat: "DateOnly"}}}}}, sptest.WithoutAuth())
	defer srv.Close()
	if a := sendVerbose(t, srv, "POST", "web/lists/getbytitle('Days')/items", `{"__metadata":{"type":"SP.Data.DaysListItem"},"Due":"2025-03-29T23:00:00Z"}`, nil); a.status != 201 {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	got := fetch(t, srv, "web/lists/getbytitle('Days')/items?$select=Due", acceptNo)
	if !strings.Contains(string(got.body), `"Due":"2025-03-29T23:00:00Z"`) {
		t.Errorf("stored %s, want Berlin's midnight of 30 March (2025-03-29T23:00:00Z)", got.body)
	}
}

// A column added to a declared list keeps its items' values, and a list
// with a managed metadata column (which brings a hidden note column) takes
// new columns too.
func TestFieldAddedToADeclaredList(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Docs",
		Fields: []sptest.Field{{Title: "Tags", Type: "TaxonomyFieldTypeMulti"}, {Title: "Size", Type: "Number"}},
		Items:  []sptest.Item{{"Title": "a", "Size": 3}}}}}, sptest.WithoutAuth())
	defer srv.Close()
	a := sendVerbose(t, srv, "POST", "web/lists/getbytitle('Docs')/fields", `{"__metadata":{"type":"SP.Field"},"Title":"Note2","FieldTypeKind":2}`, nil)
	if a.status != http.StatusCreated {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	got := fetch(t, srv, "web/lists/getbytitle('Docs')/items?$select=Title,Size,Note2", acceptNo)
	if !strings.Contains(string(got.body), `"Title":"a"`) || !strings.Contains(string(got.body), `"Size":3`) || !strings.Contains(string(got.body), `"Note2":null`) {
		t.Errorf("items after adding a column: %s", got.body)
	}
}

// Item writes find their list while other requests create and delete
// lists: the list lookup and the schema writes do not race (run with
// -race to see it).
func TestItemWritesDuringSchemaWrites(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Log"}}}, sptest.WithoutAuth())
	defer srv.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			title := fmt.Sprintf("Scratch %d", i)
			if a := sendVerbose(t, srv, "POST", "web/lists", `{"__metadata":{"type":"SP.List"},"BaseTemplate":100,"Title":"`+title+`"}`, nil); a.status != http.StatusCreated {
				t.Errorf("create %s: %d", title, a.status)
				return
			}
			sendVerbose(t, srv, "POST", "web/lists/getbytitle('"+title+"')", "", map[string]string{"X-HTTP-Method": "DELETE", "IF-MATCH": "*"})
		}
	}()
	for i := range 20 {
		body := fmt.Sprintf(`{"__metadata":{"type":"SP.Data.LogListItem"},"Title":"row %d"}`, i)
		if a := sendVerbose(t, srv, "POST", "web/lists/getbytitle('Log')/items", body, nil); a.status != http.StatusCreated {
			t.Errorf("item write %d: %d %s", i, a.status, a.body)
		}
	}
	<-done
}
