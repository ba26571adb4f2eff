package sqlparse

import (
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests use America/New_York wherever they run

	"github.com/go-spsql/spsql/sharepoint"
)

// tasksFields resembles the fields of a SharePoint Tasks list, in the
// order SharePoint lists them, with a few system fields that SELECT *
// must leave out (a Computed "Title" twin, hidden bookkeeping).
func tasksFields() []sharepoint.Field {
	f := func(title, internal, typ string, kind int, mod ...func(*sharepoint.Field)) sharepoint.Field {
		fl := sharepoint.Field{Title: title, InternalName: internal, StaticName: internal, EntityPropertyName: internal, Type: typ, Kind: kind}
		for _, m := range mod {
			m(&fl)
		}
		return fl
	}
	hidden := func(fl *sharepoint.Field) { fl.Hidden = true }
	indexed := func(fl *sharepoint.Field) { fl.Indexed = true }
	return []sharepoint.Field{
		f("Content Type ID", "ContentTypeId", "ContentTypeId", 25, hidden),
		f("Title", "Title", "Text", 2),
		f("Status", "Status", "Choice", 6, func(fl *sharepoint.Field) { fl.Choices = []string{"Not Started", "In Progress", "Done"} }),
		f("Due Date", "DueDate", "DateTime", 4),
		f("Percent Complete", "PercentComplete", "Number", 9),
		f("Project", "Project", "Lookup", 7, func(fl *sharepoint.Field) { fl.LookupList = "{p}"; fl.LookupField = "Title" }),
		f("Assigned To", "AssignedTo", "User", 20, indexed),
		f("Reviewers", "Reviewers", "UserMulti", 20, func(fl *sharepoint.Field) { fl.AllowMultiple = true }),
		f("Tags", "Tags", "MultiChoice", 15),
		f("Notes", "Notes", "Note", 3),
		f("Effort", "Effort", "Calculated", 17, func(fl *sharepoint.Field) { fl.OutputType = sharepoint.KindNumber }),
		f("Done", "Done", "Boolean", 8),
		f("Budget", "Budget", "Currency", 10),
		f("Estimate", "Estimate", "Integer", 1),
		f("Link", "Link", "URL", 11),
		f("ID", "ID", "Counter", 5, indexed),
		f("Modified", "Modified", "DateTime", 4, indexed, func(fl *sharepoint.Field) { fl.DisplayFormat = 1 }),
		f("Created", "Created", "DateTime", 4, indexed, func(fl *sharepoint.Field) { fl.DisplayFormat = 1 }),
		f("Created By", "Author", "User", 20, indexed),
		f("Modified By", "Editor", "User", 20),
		f("Version", "_UIVersionString", "Text", 2, hidden, func(fl *sharepoint.Field) { fl.EntityPropertyName = "OData__UIVersionString" }),
		f("Attachments", "Attachments", "Attachments", 19),
		f("Title", "LinkTitle", "Computed", 12),
		f("Content Type", "ContentType", "Computed", 12),
		f("GUID", "GUID", "Guid", 14, hidden),
	}
}

// projectsFields are the fields of the Projects list that Tasks.Project
// looks up.
func projectsFields() []sharepoint.Field {
	f := func(title, internal, typ string, kind int) sharepoint.Field {
		return sharepoint.Field{Title: title, InternalName: internal, StaticName: internal, EntityPropertyName: internal, Type: typ, Kind: kind}
	}
	return []sharepoint.Field{
		f("Title", "Title", "Text", 2),
		f("Budget", "Budget", "Currency", 10),
		f("Start", "Start", "DateTime", 4),
		f("ID", "ID", "Counter", 5),
	}
}

// fixtureCatalog serves Tasks (12,000 items) and Projects (40) to
// BuildQuery.
type fixtureCatalog struct{}

func (fixtureCatalog) Fields(list string) ([]sharepoint.Field, error) {
	switch strings.ToLower(list) {
	case "tasks":
		return tasksFields(), nil
	case "projects":
		return projectsFields(), nil
	}
	return nil, fmt.Errorf("list %q: %w", list, sharepoint.ErrListNotFound)
}

func (fixtureCatalog) ItemCount(list string) int64 {
	switch strings.ToLower(list) {
	case "tasks":
		return 12000
	case "projects":
		return 40
	}
	return -1
}

// newYork is the site time zone of the tests: date-only fields hold
// midnight there (05:00Z in winter).
func newYork(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
