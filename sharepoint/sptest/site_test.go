package sptest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

var update = flag.Bool("update", false, "rewrite testdata/demo-site.json from DemoSite")

const demoSiteFile = "../../testdata/demo-site.json"

func TestNames(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"a space is _x0020_", sptest.InternalName("Project Code"), "Project_x0020_Code"},
		{"letters and digits stay", sptest.InternalName("DueDate2"), "DueDate2"},
		{"an underscore stays in field names", sptest.InternalName("due_date"), "due_date"},
		{"non-ASCII letters are escaped", sptest.InternalName("Année"), "Ann_x00e9_e"},
		{"a leading digit is escaped", sptest.InternalName("2024 Budget"), "_x0032_024_x0020_Budget"},
		{"internal names are cut at 32 characters", sptest.InternalName("How frequently do you use this"), "How_x0020_frequently_x0020_do_x0"},
		{"a leading underscore gets OData_", sptest.EntityPropertyName("_UIVersionString"), "OData__UIVersionString"},
		{"other entity names are the internal name", sptest.EntityPropertyName("Project_x0020_Code"), "Project_x0020_Code"},
		{"a custom list's entity type ends in List", sptest.EntityTypeName("Tasks", 100), "TasksList"},
		{"spaces in list titles are escaped", sptest.EntityTypeName("Project Tasks", 100), "Project_x0020_TasksList"},
		{"libraries get no List suffix", sptest.EntityTypeName("Shared Documents", 101), "Shared_x0020_Documents"},
		{"underscores and slashes in list titles are escaped", sptest.EntityTypeName("_catalogs/hubsite", 101), "OData__x005f_catalogs_x002f_hubsite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

// TestDemoSiteJSONMatchesDemoSite checks that testdata/demo-site.json is
// DemoSite written as JSON (regenerate with -update), and that loading it
// serves the same answers as DemoSite itself.
func TestDemoSiteJSONMatchesDemoSite(t *testing.T) {
	want, err := json.MarshalIndent(sptest.DemoSite(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *update {
		if err := os.WriteFile(demoSiteFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(demoSiteFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date: run go test ./sharepoint/sptest -run DemoSiteJSON -update", demoSiteFile)
	}
	loaded, err := sptest.LoadSite(demoSiteFile)
	if err != nil {
		t.Fatal(err)
	}
	a := sptest.NewServer(sptest.DemoSite(), sptest.WithoutAuth())
	defer a.Close()
	b := sptest.NewServer(loaded, sptest.WithoutAuth())
	defer b.Close()
	for _, list := range []string{"Projects", "Tasks", "Employees"} {
		for _, accept := range []string{acceptNo, acceptVerbose} {
			path := "web/lists/getbytitle('" + list + "')/items?$top=5000"
			ra, rb := fetch(t, a, path, accept), fetch(t, b, path, accept)
			if ra.status != 200 {
				t.Fatalf("%s: HTTP %d %s", list, ra.status, ra.body)
			}
			// The servers differ only in their port.
			if !bytes.Equal(bytes.ReplaceAll(ra.body, []byte(a.URL), nil), bytes.ReplaceAll(rb.body, []byte(b.URL), nil)) {
				t.Errorf("%s (%s): the JSON site answers differently from DemoSite", list, accept)
			}
		}
	}
}

func TestDemoSiteHasWhatTheDemoNeeds(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite(), sptest.WithoutAuth())
	defer srv.Close()
	counts := map[string]int{}
	var lists struct {
		Value []struct {
			Title     string
			ItemCount int
		} `json:"value"`
	}
	if err := json.Unmarshal(fetch(t, srv, "web/lists?$filter=Hidden%20eq%20false", acceptNo).body, &lists); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, l := range lists.Value {
		counts[l.Title] = l.ItemCount
		total += l.ItemCount
	}
	if len(counts) != 3 || counts["Projects"] == 0 || counts["Tasks"] == 0 || counts["Employees"] == 0 || total < 200 {
		t.Fatalf("lists %v", counts)
	}
	checks := []struct{ name, path string }{
		{"a title with an apostrophe", "web/lists/getbytitle('Projects')/items?$filter=" + q("Title eq 'O''Brien & Co rebrand'")},
		{"non-ASCII text", "web/lists/getbytitle('Projects')/items?$filter=" + q("Title eq 'Zürich office move'")},
		{"tasks without a due date", "web/lists/getbytitle('Tasks')/items?$filter=" + q("DueDate eq null")},
		{"tasks of project 1", "web/lists/getbytitle('Tasks')/items?$filter=" + q("ProjectId eq 1")},
		{"project titles through the lookup", "web/lists/getbytitle('Tasks')/items?$select=Title,Project/Title&$expand=Project&$filter=" + q("Project/Title eq 'CRM migration'")},
		{"Display names of persons", "web/lists/getbytitle('Tasks')/items?$select=Title,Assigned_x0020_To/Title&$expand=Assigned_x0020_To&$filter=" + q("Assigned_x0020_To/Title eq 'Ada Lovelace'")},
		{"employees with Go", "web/lists/getbytitle('Employees')/items?$filter=" + q("Skills eq 'Go'")},
		{"employees without a salary", "web/lists/getbytitle('Employees')/items?$filter=" + q("Salary eq null")},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			a := fetch(t, srv, c.path, acceptNo)
			if a.status != 200 {
				t.Fatalf("HTTP %d %s", a.status, a.body)
			}
			if len(a.itemIDs(t)) == 0 && !strings.Contains(c.path, "$select=Title,") {
				t.Errorf("no items")
			}
			if strings.Contains(c.path, "$select=Title,") && !strings.Contains(string(a.body), `"Title"`) {
				t.Errorf("no items: %s", a.body)
			}
		})
	}
}

func TestParseSite(t *testing.T) {
	good := `{"Title":"T","TimeZone":"Europe/Paris","Lists":[
	  {"Title":"Big","Fields":[{"Title":"N","Type":"Number"}],"Synthetic":{"Seed":3,"Count":12000}},
	  {"Title":"Small","Fields":[{"Title":"Due Date","Type":"DateTime","DisplayFormat":"DateOnly"},{"Title":"Link","Type":"URL"}],
	   "Items":[{"Title":"a","Due_x0020_Date":"2024-05-01","Link":{"Url":"https://x","Description":"X"}}]}]}`
	site, err := sptest.ParseSite(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	srv := sptest.NewServer(site, sptest.WithoutAuth())
	defer srv.Close()
	a := fetch(t, srv, "web/lists/getbytitle('Big')?$select=ItemCount", acceptNo)
	if string(a.body) != `{"ItemCount":12000}` {
		t.Errorf("Big: %s", a.body)
	}
	a = fetch(t, srv, "web/lists/getbytitle('Small')/items?$select=Due_x0020_Date,Link", acceptNo)
	if want := `{"value":[{"Due_x0020_Date":"2024-04-30T22:00:00Z","Link":{"Description":"X","Url":"https://x"}}]}`; string(a.body) != want {
		t.Errorf("Small: %s, want %s", a.body, want)
	}

	bad := []struct{ name, json, want string }{
		{"an unknown key", `{"Title":"T","Colour":"red"}`, "Colour"},
		{"an unknown list key", `{"Lists":[{"Title":"L","Itemz":[]}]}`, "Itemz"},
		{"an unknown field type", `{"Lists":[{"Title":"L","Fields":[{"Title":"F","Type":"Nope"}]}]}`, `unknown Type "Nope"`},
		{"an item value of the wrong type", `{"Lists":[{"Title":"L","Fields":[{"Title":"N","Type":"Number"}],"Items":[{"N":"ten"}]}]}`, `item 1 field "N"`},
		{"an unknown item key", `{"Lists":[{"Title":"L","Items":[{"Nope":1}]}]}`, `"Nope" is not a field`},
		{"a dangling lookup", `{"Lists":[{"Title":"A"},{"Title":"B","Fields":[{"Title":"L","Type":"Lookup","LookupList":"A"}],"Items":[{"L":4}]}]}`, "points at item 4"},
		{"a lookup to no list", `{"Lists":[{"Title":"B","Fields":[{"Title":"L","Type":"Lookup","LookupList":"Z"}]}]}`, `LookupList "Z"`},
		{"duplicate list titles", `{"Lists":[{"Title":"A"},{"Title":"a"}]}`, "same title"},
		{"duplicate item IDs", `{"Lists":[{"Title":"A","Items":[{"ID":2},{"ID":2}]}]}`, "two items have ID 2"},
		{"a choice outside the user list", `{"Lists":[{"Title":"A","Fields":[{"Title":"P","Type":"User"}],"Items":[{"P":99}]}]}`, "no site user has ID 99"},
		{"an unknown time zone", `{"TimeZone":"Mars/Olympus"}`, "Mars/Olympus"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sptest.ParseSite(strings.NewReader(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sptest: ") {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := sptest.LoadSite("testdata/does-not-exist.json"); err == nil {
		t.Error("LoadSite of a missing file succeeded")
	}
}

// oneDay generates one item whose date-only Day is 2024-03-10.
type oneDay struct{}

func (oneDay) Len() int             { return 1 }
func (oneDay) Item(int) sptest.Item { return sptest.Item{"Day": "2024-03-10"} }

// TestGeneratedDateOnlyIsSiteMidnight: a custom Generator's date-only
// values are stored as the site's local midnight, as declared Items are.
func TestGeneratedDateOnlyIsSiteMidnight(t *testing.T) {
	field := sptest.Field{Title: "Day", Type: "DateTime", DisplayFormat: "DateOnly"}
	srv := sptest.NewServer(sptest.Site{TimeZone: "America/New_York", Lists: []sptest.List{
		{Title: "Declared", Fields: []sptest.Field{field}, Items: []sptest.Item{{"Day": "2024-03-10"}}},
		{Title: "Generated", Fields: []sptest.Field{field}, Generator: oneDay{}},
	}}, sptest.WithoutAuth())
	defer srv.Close()
	for _, list := range []string{"Declared", "Generated"} {
		r := get(t, srv, "/sites/demo/_api/web/lists/getbytitle('"+list+"')/items?$select=Day", "")
		if !strings.Contains(r.body, `"Day":"2024-03-10T05:00:00Z"`) {
			t.Errorf("%s: HTTP %d %s, want Day 2024-03-10T05:00:00Z (New York midnight)", list, r.status, r.body)
		}
	}
}
