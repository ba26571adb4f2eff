package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests use America/New_York wherever they run

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
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
// BuildQuery: metadata only, no items.
type fixtureCatalog struct{}

func (fixtureCatalog) Lists(context.Context) ([]sharepoint.List, error) {
	return []sharepoint.List{{Title: "Tasks", ItemCount: 12000}, {Title: "Projects", ItemCount: 40}}, nil
}

func (fixtureCatalog) Fields(_ context.Context, list string) ([]sharepoint.Field, error) {
	switch strings.ToLower(list) {
	case "tasks":
		return tasksFields(), nil
	case "projects":
		return projectsFields(), nil
	}
	return nil, fmt.Errorf("list %q: %w", list, sharepoint.ErrListNotFound)
}

func (fixtureCatalog) Invalidate(string) {}

func (c fixtureCatalog) ItemCount(ctx context.Context, list string) (int64, error) {
	lists, _ := c.Lists(ctx)
	for _, l := range lists {
		if strings.EqualFold(l.Title, list) {
			return l.ItemCount, nil
		}
	}
	return 0, fmt.Errorf("list %q: %w", list, sharepoint.ErrListNotFound)
}

func (fixtureCatalog) Items(context.Context, string, sharepoint.Query) (Rows, error) {
	return nil, errors.New("fixtureCatalog serves no items")
}

// memSource is an in-memory site for the engine's tests: the fixture
// lists, with the items a test gives as maps by $select name. It does
// not evaluate $filter or $orderby: a test gives the rows SharePoint
// would return for the pushed-down request (it does honour $top). With
// threshold, it refuses every request with a $filter or an $orderby
// other than ID, as SharePoint does on a large list without indexes.
type memSource struct {
	fixtureCatalog
	fields    map[string][]sharepoint.Field // more lists, by lower-cased title
	items     map[string][]map[string]any   // by lower-cased list title
	count     int64                         // ItemCount of every list, when not 0
	threshold bool

	requests []sharepoint.Query
	read     int // rows handed out
	open     int // streams not closed
}

func (m *memSource) Fields(ctx context.Context, list string) ([]sharepoint.Field, error) {
	if f, ok := m.fields[strings.ToLower(list)]; ok {
		return f, nil
	}
	return m.fixtureCatalog.Fields(ctx, list)
}

func (m *memSource) ItemCount(ctx context.Context, list string) (int64, error) {
	if m.count != 0 {
		return m.count, nil
	}
	return m.fixtureCatalog.ItemCount(ctx, list)
}

func (m *memSource) Items(_ context.Context, list string, q sharepoint.Query) (Rows, error) {
	m.requests = append(m.requests, q)
	if m.threshold && (q.Filter != "" || q.OrderBy != "" && q.OrderBy != "ID asc") {
		return nil, fmt.Errorf("refused: %w", sharepoint.ErrViewThreshold)
	}
	var rows [][]any
	for _, item := range m.items[strings.ToLower(list)] {
		if q.Top > 0 && len(rows) == q.Top {
			break
		}
		row := make([]any, len(q.Select))
		for i, name := range q.Select {
			row[i] = item[name]
		}
		rows = append(rows, row)
	}
	m.open++
	return &memRows{m: m, rows: rows}, nil
}

type memRows struct {
	m      *memSource
	rows   [][]any
	closed bool
}

func (r *memRows) Next() ([]any, error) {
	if len(r.rows) == 0 {
		return nil, io.EOF
	}
	r.m.read++
	row := r.rows[0]
	r.rows = r.rows[1:]
	return row, nil
}

func (r *memRows) Close() error {
	if !r.closed {
		r.closed = true
		r.m.open--
	}
	return nil
}

// query plans sql against src.
func query(t testing.TB, src Source, sql string, opts Options, args ...any) *Query {
	t.Helper()
	st, err := sqlparse.Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	sel, ok := st.(*sqlparse.Select)
	if !ok {
		t.Fatalf("%s parsed as %T", sql, st)
	}
	q, err := BuildQuery(context.Background(), sel, src, namedValues(args...), opts)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return q
}

// run plans and runs sql over src and returns its rows.
func run(t testing.TB, src Source, sql string, opts Options, args ...any) ([][]any, *Query) {
	t.Helper()
	q := query(t, src, sql, opts, args...)
	cur, err := q.Open(context.Background(), src)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer cur.Close()
	var out [][]any
	for {
		row, err := cur.Next()
		if err == io.EOF {
			return out, q
		}
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		out = append(out, row)
	}
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
