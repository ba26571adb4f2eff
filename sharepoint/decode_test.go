package sharepoint

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// recordedList loads a recording that holds a list's Fields and Items.
func recordedList(t *testing.T, name string) (fields []Field, items []map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "payloads", name))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Body struct {
			Fields []Field
			Items  []map[string]any
		}
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	for i := range rec.Body.Fields {
		rec.Body.Fields[i].EntityPropertyName = entityPropertyName(rec.Body.Fields[i].InternalName)
	}
	return rec.Body.Fields, rec.Body.Items
}

// The four envelopes SharePoint answers in (docs/sharepoint.md §5.2), built from the
// recorded nometadata items so that all four carry the same data.
func envelopes(t *testing.T, items []map[string]any, next string) map[string][]byte {
	t.Helper()
	must := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	minimal := make([]map[string]any, len(items))
	v4 := make([]map[string]any, len(items))
	verbose := make([]map[string]any, len(items))
	for i, it := range items {
		minimal[i] = map[string]any{"odata.type": "SP.Data.TestListItem", "odata.id": "x", "odata.etag": `"2"`, "odata.editLink": "Web/Lists(guid'x')/Items(1)"}
		v4[i] = map[string]any{"@odata.type": "#SP.Data.TestListItem", "@odata.etag": `"2"`}
		verbose[i] = map[string]any{"__metadata": map[string]any{"id": "x", "uri": "x/Items(1)", "etag": `"2"`, "type": "SP.Data.TestListItem"},
			"Author": map[string]any{"__deferred": map[string]any{"uri": "x/Author"}}}
		for k, v := range it {
			minimal[i][k], v4[i][k] = v, v
			switch vv := v.(type) {
			case []any: // verbose wraps multi-values in {"results":[…]}
				verbose[i][k] = map[string]any{"__metadata": map[string]any{"type": "Collection(Edm.String)"}, "results": vv}
			case map[string]any:
				if _, ok := vv["Url"]; ok {
					vv2 := map[string]any{"__metadata": map[string]any{"type": "SP.FieldUrlValue"}}
					for kk, x := range vv {
						vv2[kk] = x
					}
					verbose[i][k] = vv2
					continue
				}
				verbose[i][k] = vv
			default:
				verbose[i][k] = v
			}
		}
	}
	nm := map[string]any{"value": items}
	mm := map[string]any{"odata.metadata": "x/_api/$metadata#SP.ListData.TestListItems", "value": minimal}
	v4m := map[string]any{"@odata.context": "x/_api/$metadata#items", "value": v4}
	vd := map[string]any{"results": verbose}
	if next != "" {
		nm["odata.nextLink"], mm["odata.nextLink"], v4m["@odata.nextLink"], vd["__next"] = next, next, next, next
	}
	return map[string][]byte{
		"nometadata":      must(nm),
		"minimalmetadata": must(mm),
		"v4":              must(v4m),
		"verbose":         must(map[string]any{"d": vd}),
	}
}

func TestDecodeRecordedScalarTypesInEveryEnvelope(t *testing.T) {
	fields, items := recordedList(t, "pnpcore_list_fields_and_items_nometadata_number_currency_bool_datetime_calculated.json")
	cols, _, _, err := resolveColumns("Test", fields, []string{"ID", "Title", "Text1", "MultilineText1", "Bool1", "Number1",
		"DateTime1", "Currency1", "Calculated1", "ChoiceSingle1", "ChoiceMulti1", "AuthorId", "OData__UIVersionString", "Attachments", "GUID", "ComplianceAssetId"})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(1), "Item1", "PnP Rocks", "PnP Rocks...PnP Rocks...PnP Rocks...PnP Rocks...PnP Rocks...PnP Rocks...PnP Rocks",
		true, 67687.0, time.Date(2020, 12, 6, 14, 25, 47, 0, time.UTC), 67.67, "0.500000000000000", "Option A",
		[]string{"Option A", "Option B"}, int64(11), "1.0", false, "74a8a3a5-320c-4eb3-abc8-3ebad3e48a14", nil}
	next := "https://t.sharepoint.com/sites/x/_api/web/lists(guid'x')/items?%24skiptoken=Paged%3dTRUE%26p_ID%3d1&%24top=1"
	for shape, body := range envelopes(t, items, next) {
		t.Run(shape, func(t *testing.T) {
			rows, gotNext, err := newPageDecoder(cols).decode(body)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
				t.Fatalf("rows = %#v\nwant %#v", rows, want)
			}
			if gotNext != next {
				t.Errorf("next = %q, want %q", gotNext, next)
			}
		})
	}
}

func TestDecodeRecordedSpecialTypesInEveryEnvelope(t *testing.T) {
	fields, items := recordedList(t, "pnpcore_list_fields_and_items_nometadata_special_fieldtypekinds.json")
	cols, _, _, err := resolveColumns("Test", fields, []string{"Id", "URLField1", "UserSingleField1Id", "UserMultiField1Id",
		"TaxonomyField1", "TaxonomyMultiField1", "ChoiceMulti1", "LookupSingleField1Id", "LookupMultiField1Id", "Modified"})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(1), URLValue{URL: "https://pnp.com/rocks", Description: "PnP RocksA"}, int64(8), []int64{11, 8},
		TaxonomyValue{Label: "2", TermGuid: "8246e3c1-19ea-4b22-8ae3-df9cbc150a74", WssID: 2},
		[]TaxonomyValue{{"Dutch", "108b34b1-87af-452d-be13-881a29477965", 1}, {"English", "8246e3c1-19ea-4b22-8ae3-df9cbc150a74", 2}, {"French", "3f773e87-24c3-4d0d-a07f-96eb0c1e905e", 3}},
		[]string{"Option B"}, int64(1), []int64{1}, time.Date(2022, 10, 12, 8, 29, 44, 0, time.UTC)}
	for shape, body := range envelopes(t, items, "") {
		t.Run(shape, func(t *testing.T) {
			rows, next, err := newPageDecoder(cols).decode(body)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
				t.Fatalf("rows = %#v\nwant %#v", rows, want)
			}
			if next != "" {
				t.Errorf("next = %q, want none", next)
			}
		})
	}
}

func TestDecodeRecordedNextLinkPage(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "payloads", "pnpcore_items_nometadata_page_with_odata_nextLink.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ Body json.RawMessage }
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	fields := []Field{{InternalName: "ID", EntityPropertyName: "ID", Type: "Counter"}, {InternalName: "Title", EntityPropertyName: "Title", Type: "Text"},
		{InternalName: "_ColorTag", EntityPropertyName: "OData__ColorTag", Type: "Text"}}
	cols, _, _, err := resolveColumns("T", fields, []string{"ID", "Title", "_ColorTag"})
	if err != nil {
		t.Fatal(err)
	}
	rows, next, err := newPageDecoder(cols).decode(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{int64(1), "Item 0", nil}; len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
		t.Errorf("rows = %#v, want %#v", rows, want)
	}
	if !strings.Contains(next, "%24skiptoken=Paged%3dTRUE%26p_ID%3d1") {
		t.Errorf("next = %q", next)
	}
}

func TestDecodeExpandedLookupsAndCalculatedOutputTypes(t *testing.T) {
	fields := []Field{
		{EntityPropertyName: "ID", Type: "Counter"},
		{EntityPropertyName: "Author", Type: "User"},
		{EntityPropertyName: "Reviewers", Type: "UserMulti"},
		{EntityPropertyName: "Effort", Type: "Calculated", OutputType: KindNumber},
		{EntityPropertyName: "Late", Type: "Calculated", OutputType: KindBoolean},
		{EntityPropertyName: "Due", Type: "Calculated", OutputType: KindDateTime},
	}
	cols, selects, expands, err := resolveColumns("T", fields, []string{"ID", "Author/Title", "author/EMail", "Reviewers/Title", "ReviewersId", "Effort", "Late", "Due"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Author", "Reviewers"}; !reflect.DeepEqual(expands, want) {
		t.Errorf("expands = %q, want %q", expands, want)
	}
	if want := []string{"ID", "Author/Title", "Author/EMail", "Reviewers/Title", "ReviewersId", "Effort", "Late", "Due"}; !reflect.DeepEqual(selects, want) {
		t.Errorf("selects = %q, want %q", selects, want)
	}
	want := [][]any{
		{int64(1), "Ann Lee", "ann@x.com", []string{"Bo", "Cy"}, []int64{7, 9}, 0.5, true, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{int64(2), nil, nil, []string{}, []int64{}, nil, false, nil},
	}
	bodies := map[string]string{
		"nometadata": `{"value":[
			{"ID":1,"Author":{"Title":"Ann Lee","EMail":"ann@x.com"},"Reviewers":[{"Title":"Bo"},{"Title":"Cy"}],"ReviewersId":[7,9],"Effort":"0.500000000000000","Late":"1","Due":"2024-01-02T00:00:00Z"},
			{"ID":2,"Author":null,"Reviewers":[],"ReviewersId":[],"Effort":"","Late":"0","Due":null}]}`,
		"verbose": `{"d":{"results":[
			{"__metadata":{"type":"SP.Data.TListItem"},"ID":1,"Author":{"__metadata":{"type":"SP.Data.UserInfoItem"},"Title":"Ann Lee","EMail":"ann@x.com"},"Reviewers":{"results":[{"__metadata":{},"Title":"Bo"},{"Title":"Cy"}]},"ReviewersId":{"__metadata":{"type":"Collection(Edm.Int32)"},"results":[7,9]},"Effort":"float;#0.500000000000000","Late":"boolean;#1","Due":"/Date(1704153600000)/"},
			{"__metadata":{"type":"SP.Data.TListItem"},"ID":2,"Author":null,"Reviewers":{"results":[]},"ReviewersId":{"results":[]},"Effort":null,"Late":false}]}}`,
	}
	for shape, body := range bodies {
		t.Run(shape, func(t *testing.T) {
			rows, _, err := newPageDecoder(cols).decode([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rows, want) {
				t.Fatalf("rows = %#v\nwant %#v", rows, want)
			}
		})
	}
}

func TestDecodeTruncatedBodyIsRetryable(t *testing.T) {
	cols := []Column{{Name: "ID", key: "ID", Type: ValueInt}}
	body := []byte(`{"value":[{"ID":1},{"ID":2},{"I`)
	_, _, err := newPageDecoder(cols).decode(body)
	if !truncated(err) {
		t.Fatalf("decode of a cut body = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestDecodeTypeMismatchNamesTheColumn(t *testing.T) {
	cols := []Column{{Name: "Budget", key: "Budget", Type: ValueFloat}}
	_, _, err := newPageDecoder(cols).decode([]byte(`{"value":[{"Budget":"lots"}]}`))
	if err == nil || !strings.Contains(err.Error(), "column Budget") {
		t.Fatalf("err = %v, want one naming column Budget", err)
	}
}

func TestResolveColumnsErrors(t *testing.T) {
	fields := []Field{{EntityPropertyName: "Title", Title: "Title", Type: "Text"}, {EntityPropertyName: "Project", Title: "Project", Type: "Lookup"}}
	for _, tt := range []struct{ name, want string }{
		{"Nope", `column "Nope" of list "T" does not exist`},
		{"Project", "is a Lookup column: select ProjectId for its ID or Project/Title for its value"},
		{"Title/Foo", "is not a lookup or person column"},
	} {
		_, _, _, err := resolveColumns("T", fields, []string{tt.name})
		if !errors.Is(err, ErrFieldNotFound) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("resolveColumns(%q) = %v, want ErrFieldNotFound containing %q", tt.name, err, tt.want)
		}
	}
}

func TestListPathEscapesTitles(t *testing.T) {
	for title, want := range map[string]string{
		"Tasks":            "_api/web/lists/getbytitle('Tasks')",
		"O'Brien & Co":     "_api/web/lists/getbytitle('O''Brien%20%26%20Co')",
		"50% off?#/x":      "_api/web/lists/getbytitle('50%25%20off%3F%23%2Fx')",
		"Projets d'été":    "_api/web/lists/getbytitle('Projets%20d''%C3%A9t%C3%A9')",
		"Shared Documents": "_api/web/lists/getbytitle('Shared%20Documents')",
	} {
		if got := ListPath(title); got != want {
			t.Errorf("ListPath(%q) = %q, want %q", title, got, want)
		}
	}
}
