package sharepoint

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Scratch lists and columns are created in the documented forms and
// deleted again; names and choices with XML's special characters survive
// the schema XML, and deleting a list that is not there says so.
func TestCreateAndDeleteListAndFields(t *testing.T) {
	srv := emulator(t, sptest.Site{})
	c := emulatorClient(t, srv, nil)
	ctx := context.Background()
	l, err := c.CreateList(ctx, "Scratch & <Co>", "d")
	if err != nil || l.ID == "" || l.ListItemEntityTypeFullName == "" {
		t.Fatalf("CreateList = %+v, %v", l, err)
	}
	target, err := c.CreateList(ctx, "Target", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, nf := range []NewField{
		{Name: "Pick", DisplayName: `Pick "one" <&>`, Type: "Choice", Choices: []string{"a & b", "<c>"}},
		{Name: "Day", DisplayName: "Due day", Type: "DateTime", DateOnly: true},
		{Name: "Refs", DisplayName: "Target refs", Type: "LookupMulti", LookupListID: target.ID},
	} {
		f, err := c.CreateField(ctx, l.Title, nf)
		if err != nil {
			t.Fatalf("CreateField %s: %v", nf.Name, err)
		}
		if f.InternalName != nf.Name || f.Title != nf.DisplayName {
			t.Errorf("field %s: internal %q title %q", nf.Name, f.InternalName, f.Title)
		}
	}
	fields, err := c.Fields(ctx, l.Title)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Field{}
	for _, f := range fields {
		got[f.InternalName] = f
	}
	if f := got["Pick"]; strings.Join(f.Choices, "|") != "a & b|<c>" {
		t.Errorf("choices %q", f.Choices)
	}
	if f := got["Day"]; !f.DateOnly() {
		t.Errorf("Day is not date-only: %+v", f)
	}
	if f := got["Refs"]; f.TypeName() != "LookupMulti" || !strings.EqualFold(strings.Trim(f.LookupList, "{}"), target.ID) {
		t.Errorf("Refs: %+v", f)
	}
	if _, err := c.CreateField(ctx, l.Title, NewField{Name: "X", Type: "Calculated"}); err == nil || !errors.Is(err, ErrWriteNotApplied) {
		t.Errorf("a type CreateField cannot make: %v", err)
	}
	if err := c.DeleteList(ctx, l.Title); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteList(ctx, l.Title); !errors.Is(err, ErrListNotFound) || !errors.Is(err, ErrWriteNotApplied) {
		t.Errorf("deleting a list that is not there: %v, want ErrListNotFound and not applied", err)
	}
	lists, err := c.Lists(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range lists {
		if x.Title == l.Title {
			t.Error("the deleted list is still listed")
		}
	}
}
