package sqlparse

import (
	"testing"

	"github.com/go-spsql/spsql/sharepoint"
)

// A field list that carries FieldTypeKind but no TypeAsString: the
// planner types the columns as the client decodes them (both ask
// sharepoint.Field), by the kind.
func TestFieldsWithoutTypeAsStringAreTypedByTheirKind(t *testing.T) {
	fields := []sharepoint.Field{
		{Title: "ID", InternalName: "ID", EntityPropertyName: "ID", Type: "Counter", Kind: 5},
		{Title: "Amount", InternalName: "Amount", EntityPropertyName: "Amount", Kind: sharepoint.KindNumber},
		{Title: "Due", InternalName: "Due", EntityPropertyName: "Due", Kind: sharepoint.KindDateTime, DisplayFormat: 1},
		{Title: "Owners", InternalName: "Owners", EntityPropertyName: "Owners", Kind: 20, AllowMultiple: true},
	}
	st, err := Parse("SELECT Amount, Due, OwnersId FROM L")
	if err != nil {
		t.Fatal(err)
	}
	p, err := BuildPlan(st.(*Select), "L", fields, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		vt     sharepoint.ValueType
		dbType string
	}{{sharepoint.ValueFloat, "NUMBER"}, {sharepoint.ValueTime, "DATETIME"}, {sharepoint.ValueInts, "USERMULTI"}}
	for i, c := range p.Columns {
		if c.Type != want[i].vt || c.DatabaseTypeName != want[i].dbType {
			t.Errorf("column %s: %v %s, want %v %s", c.Name, c.Type, c.DatabaseTypeName, want[i].vt, want[i].dbType)
		}
	}
}
