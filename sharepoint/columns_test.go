package sharepoint

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fieldRules is what the Field methods decide about one field.
type fieldRules struct {
	name                        string
	vt                          ValueType
	lookup, user, multi, counts bool
}

func rulesOf(f *Field) fieldRules {
	return fieldRules{f.TypeName(), f.ValueType(), f.IsLookup(), f.IsUser(), f.IsMulti(), f.CountsTowardLookupThreshold()}
}

// Every TypeAsString of SharePoint's FieldType enumeration, with the
// FieldTypeKind SharePoint reports for it (as recorded: the Multi forms
// share their single form's kind; managed metadata is kind 0) and the
// AllowMultipleValues it reports.
var fieldTypeTable = []struct {
	typ   string
	kind  int
	multi bool
	want  fieldRules
}{
	{"Integer", 1, false, fieldRules{"Integer", ValueInt, false, false, false, false}},
	{"Text", 2, false, fieldRules{"Text", ValueString, false, false, false, false}},
	{"Note", 3, false, fieldRules{"Note", ValueString, false, false, false, false}},
	{"DateTime", 4, false, fieldRules{"DateTime", ValueTime, false, false, false, false}},
	{"Counter", 5, false, fieldRules{"Counter", ValueInt, false, false, false, false}},
	{"Choice", 6, false, fieldRules{"Choice", ValueString, false, false, false, false}},
	{"Lookup", 7, false, fieldRules{"Lookup", ValueInt, true, false, false, true}},
	{"LookupMulti", 7, true, fieldRules{"LookupMulti", ValueInts, true, false, true, true}},
	{"Boolean", 8, false, fieldRules{"Boolean", ValueBool, false, false, false, false}},
	{"Number", 9, false, fieldRules{"Number", ValueFloat, false, false, false, false}},
	{"Currency", 10, false, fieldRules{"Currency", ValueFloat, false, false, false, false}},
	{"URL", 11, false, fieldRules{"URL", ValueURL, false, false, false, false}},
	{"Computed", 12, false, fieldRules{"Computed", ValueString, false, false, false, false}},
	{"Threading", 13, false, fieldRules{"Threading", ValueString, false, false, false, false}},
	{"Guid", 14, false, fieldRules{"Guid", ValueString, false, false, false, false}},
	{"MultiChoice", 15, false, fieldRules{"MultiChoice", ValueStrings, false, false, true, false}},
	{"GridChoice", 16, false, fieldRules{"GridChoice", ValueString, false, false, false, false}},
	{"Calculated", 17, false, fieldRules{"Calculated", ValueString, false, false, false, false}},
	{"File", 18, false, fieldRules{"File", ValueString, false, false, false, false}},
	{"Attachments", 19, false, fieldRules{"Attachments", ValueBool, false, false, false, false}},
	{"User", 20, false, fieldRules{"User", ValueInt, true, true, false, true}},
	{"UserMulti", 20, true, fieldRules{"UserMulti", ValueInts, true, true, true, true}},
	{"Recurrence", 21, false, fieldRules{"Recurrence", ValueBool, false, false, false, false}},
	{"CrossProjectLink", 22, false, fieldRules{"CrossProjectLink", ValueString, false, false, false, false}},
	{"ModStat", 23, false, fieldRules{"ModStat", ValueString, false, false, false, false}},
	{"Error", 24, false, fieldRules{"Error", ValueString, false, false, false, false}},
	{"ContentTypeId", 25, false, fieldRules{"ContentTypeId", ValueString, false, false, false, false}},
	{"PageSeparator", 26, false, fieldRules{"PageSeparator", ValueString, false, false, false, false}},
	{"ThreadIndex", 27, false, fieldRules{"ThreadIndex", ValueString, false, false, false, false}},
	{"WorkflowStatus", 28, false, fieldRules{"WorkflowStatus", ValueString, false, false, false, true}},
	{"AllDayEvent", 29, false, fieldRules{"AllDayEvent", ValueBool, false, false, false, false}},
	{"WorkflowEventType", 30, false, fieldRules{"WorkflowEventType", ValueString, false, false, false, false}},
	{"Geolocation", 31, false, fieldRules{"Geolocation", ValueString, false, false, false, false}},
	{"OutcomeChoice", 32, false, fieldRules{"OutcomeChoice", ValueString, false, false, false, false}},
	{"TaxonomyFieldType", 0, false, fieldRules{"TaxonomyFieldType", ValueTaxonomy, false, false, false, true}},
	{"TaxonomyFieldTypeMulti", 0, true, fieldRules{"TaxonomyFieldTypeMulti", ValueTaxonomies, false, false, true, true}},
	{"Location", 33, false, fieldRules{"Location", ValueString, false, false, false, false}},
	{"Thumbnail", 34, false, fieldRules{"Thumbnail", ValueString, false, false, false, false}},
	// Reported with the single form's name but allowing multiple values:
	// the values are arrays all the same.
	{"Lookup", 7, true, fieldRules{"LookupMulti", ValueInts, true, false, true, true}},
	{"User", 20, true, fieldRules{"UserMulti", ValueInts, true, true, true, true}},
	{"TaxonomyFieldType", 0, true, fieldRules{"TaxonomyFieldTypeMulti", ValueTaxonomies, false, false, true, true}},
}

func TestFieldRulesForEveryTypeHoldWithOrWithoutTypeAsString(t *testing.T) {
	for _, tt := range fieldTypeTable {
		f := Field{Type: tt.typ, Kind: tt.kind, AllowMultiple: tt.multi}
		if got := rulesOf(&f); got != tt.want {
			t.Errorf("%+v: %+v, want %+v", f, got, tt.want)
		}
		// Without TypeAsString, FieldTypeKind decides alone, the same way
		// (kinds the enumeration names; managed metadata has none).
		if tt.kind == 0 || tt.kind > 32 {
			continue
		}
		f = Field{Kind: tt.kind, AllowMultiple: tt.multi}
		if got := rulesOf(&f); got != tt.want {
			t.Errorf("%+v (no TypeAsString): %+v, want %+v", f, got, tt.want)
		}
	}
}

func TestCalculatedFieldsAreTypedByTheirOutputType(t *testing.T) {
	for output, want := range map[int]ValueType{
		0: ValueString, KindInteger: ValueInt, KindText: ValueString, KindDateTime: ValueTime, kindCounter: ValueInt,
		KindBoolean: ValueBool, KindNumber: ValueFloat, KindCurrency: ValueFloat,
		7: ValueString, 11: ValueString, 15: ValueString, 20: ValueString, // no formula yields these
	} {
		for _, f := range []Field{{Type: "Calculated", Kind: KindCalculated, OutputType: output}, {Kind: KindCalculated, OutputType: output}} {
			if got := f.ValueType(); got != want || f.IsLookup() || f.IsMulti() {
				t.Errorf("%+v: ValueType %v (lookup %v, multi %v), want %v", f, got, f.IsLookup(), f.IsMulti(), want)
			}
		}
	}
}

func TestDateOnlyWithOrWithoutTypeAsString(t *testing.T) {
	for _, tt := range []struct {
		f    Field
		want bool
	}{
		{Field{Type: "DateTime", Kind: KindDateTime, DisplayFormat: 0}, true},
		{Field{Kind: KindDateTime, DisplayFormat: 0}, true},
		{Field{Type: "DateTime", Kind: KindDateTime, DisplayFormat: 1}, false},
		{Field{Kind: KindDateTime, DisplayFormat: 1}, false},
		{Field{Type: "Text", Kind: KindText}, false},
	} {
		if got := tt.f.DateOnly(); got != tt.want {
			t.Errorf("%+v: DateOnly %v, want %v", tt.f, got, tt.want)
		}
	}
}

// goTypes are the Go types of each ValueType's values.
var goTypes = map[ValueType]reflect.Type{
	ValueString: reflect.TypeFor[string](), ValueInt: reflect.TypeFor[int64](), ValueFloat: reflect.TypeFor[float64](),
	ValueTime: reflect.TypeFor[time.Time](), ValueBool: reflect.TypeFor[bool](), ValueStrings: reflect.TypeFor[[]string](),
	ValueInts: reflect.TypeFor[[]int64](), ValueURL: reflect.TypeFor[URLValue](), ValueTaxonomy: reflect.TypeFor[TaxonomyValue](),
	ValueTaxonomies: reflect.TypeFor[[]TaxonomyValue](),
}

// The recorded fields of real lists: the rules give the same answers
// from FieldTypeKind alone wherever FieldTypeKind can tell (not for the
// Multi forms, which share their single form's kind, nor for managed
// metadata, kind 0), and every recorded value decodes to its field's
// ValueType.
func TestFieldRulesOnRecordedFields(t *testing.T) {
	decoded := 0
	for _, name := range []string{
		"pnpcore_list_fields_and_items_nometadata_number_currency_bool_datetime_calculated.json",
		"pnpcore_list_fields_and_items_nometadata_special_fieldtypekinds.json",
	} {
		fields, items := recordedList(t, name)
		body, err := json.Marshal(map[string]any{"value": items})
		if err != nil {
			t.Fatal(err)
		}
		for i := range fields {
			f := &fields[i]
			if want, ok := map[string]ValueType{
				"Number1": ValueFloat, "Currency1": ValueFloat, "Bool1": ValueBool, "DateTime1": ValueTime,
				"Calculated1": ValueString, "ChoiceMulti1": ValueStrings, "URLField1": ValueURL,
				"UserSingleField1": ValueInt, "UserMultiField1": ValueInts, "LookupSingleField1": ValueInt,
				"LookupMultiField1": ValueInts, "TaxonomyField1": ValueTaxonomy, "TaxonomyMultiField1": ValueTaxonomies,
				"ID": ValueInt, "Attachments": ValueBool, "Modified": ValueTime,
			}[f.InternalName]; ok && f.ValueType() != want {
				t.Errorf("%s: %s (%s) has ValueType %v, want %v", name, f.InternalName, f.Type, f.ValueType(), want)
			}
			byKind := Field{Kind: f.Kind, AllowMultiple: f.AllowMultiple, OutputType: f.OutputType}
			if f.Kind != 0 && !strings.HasSuffix(f.Type, "Multi") {
				if got, want := rulesOf(&byKind), rulesOf(f); got != want {
					t.Errorf("%s: %s from FieldTypeKind %d alone: %+v, want %+v", name, f.InternalName, f.Kind, got, want)
				}
			}
			// Decode the recorded value: a lookup's ID, or the field's own.
			sel := f.EntityPropertyName
			if f.IsLookup() {
				sel += "Id"
			}
			cols, _, _, err := resolveColumns("Test", fields, []string{sel})
			if err != nil {
				continue // a column Items refuses (Computed display columns…)
			}
			if cols[0].Type != f.ValueType() {
				t.Errorf("%s: column %s has type %v, its field %v", name, sel, cols[0].Type, f.ValueType())
			}
			rows, _, err := newPageDecoder(cols).decode(body)
			if err != nil {
				t.Errorf("%s: decoding %s (%s) as %v: %v", name, sel, f.Type, f.ValueType(), err)
				continue
			}
			for _, row := range rows {
				if row[0] == nil {
					continue
				}
				decoded++
				if got := reflect.TypeOf(row[0]); got != goTypes[f.ValueType()] {
					t.Errorf("%s: %s (%s) decoded to %v, want %v", name, sel, f.Type, got, goTypes[f.ValueType()])
				}
			}
		}
	}
	if decoded < 30 {
		t.Errorf("only %d recorded values decoded: the recordings were not read", decoded)
	}
}

// A server that leaves TypeAsString out (and answers verbose, Choices
// wrapped in "results"): Fields fills Type from FieldTypeKind, so the
// decoder and every caller switching on Type agree.
func TestFieldsFillTypeFromFieldTypeKind(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;odata=verbose")
		w.Write([]byte(`{"d":{"results":[
			{"InternalName":"Amount","FieldTypeKind":9},
			{"InternalName":"Tags","FieldTypeKind":15,"Choices":{"results":["a","b"]}},
			{"InternalName":"Owners","FieldTypeKind":20,"AllowMultipleValues":true},
			{"InternalName":"Status","TypeAsString":"Choice","FieldTypeKind":6,"Choices":["x"]}]}}`))
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL+"/sites/x", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	fields, err := c.Fields(context.Background(), "L")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fields {
		got = append(got, f.InternalName+":"+f.Type+":"+strings.Join(f.Choices, "|"))
	}
	want := []string{"Amount:Number:", "Tags:MultiChoice:a|b", "Owners:UserMulti:", "Status:Choice:x"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
}

// A lookup reported as "Lookup" that allows multiple values sends its IDs
// as an array: the decoder reads them as such, as the planner expects.
func TestAMultiValueLookupReportedAsLookupDecodesItsIDs(t *testing.T) {
	fields := []Field{{InternalName: "Projects", EntityPropertyName: "Projects", Type: "Lookup", Kind: 7, AllowMultiple: true}}
	cols, _, _, err := resolveColumns("L", fields, []string{"ProjectsId"})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := newPageDecoder(cols).decode([]byte(`{"value":[{"ProjectsId":[3,5]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if cols[0].Type != ValueInts || !reflect.DeepEqual(rows[0][0], []int64{3, 5}) {
		t.Errorf("column type %v, value %#v; want ValueInts, [3 5]", cols[0].Type, rows[0][0])
	}
}
