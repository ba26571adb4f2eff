package sptest_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

func TestAddressingLists(t *testing.T) {
	const id = "1c6f7a3e-2b4d-4e5f-8a9b-0c1d2e3f4a5b"
	site := sptest.Site{Lists: []sptest.List{
		{Title: "O'Brien & Co", ID: id, Items: []sptest.Item{{"Title": "x"}}},
		{Title: "A/B (2024)", Items: []sptest.Item{{"Title": "y"}}},
	}}
	srv := sptest.NewServer(site, sptest.WithoutAuth())
	defer srv.Close()
	ok := []struct{ name, path string }{
		{"a doubled quote, percent-encoded", "web/lists/getbytitle('O''Brien%20%26%20Co')/items"},
		{"titles match case-insensitively", "web/lists/getbytitle('o''brien%20%26%20co')/items"},
		{"encoded quotes", "web/lists/getbytitle(%27O%27%27Brien%20%26%20Co%27)/items"},
		{"a parameter alias", "web/lists/getbytitle(@t)/items?@t=" + q("'O''Brien & Co'")},
		{"paths are case-insensitive", "Web/Lists/GetByTitle('O''Brien%20%26%20Co')/Items"},
		{"by GUID", "web/lists(guid'" + id + "')/items"},
		{"by GUID with braces and upper case", "web/lists('{" + strings.ToUpper(id) + "}')/items"},
		{"getbyid", "web/lists/getbyid('" + id + "')/items"},
		{"a slash and parentheses in a title", "web/lists/getbytitle('A%2FB%20(2024)')/items"},
		{"by server-relative URL", "web/GetList('%2Fsites%2Fdemo%2FLists%2FOBrienCo')/items"},
		{"one item", "web/lists/getbytitle('O''Brien%20%26%20Co')/items(1)"},
		{"getitembyid", "web/lists/getbytitle('O''Brien%20%26%20Co')/getitembyid(1)"},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			if a := fetch(t, srv, tc.path, acceptNo); a.status != 200 {
				t.Errorf("HTTP %d %s", a.status, a.body)
			}
		})
	}
	bad := []struct {
		name, path string
		status     int
		msg        string
	}{
		{"an undoubled quote", "web/lists/getbytitle('O'Brien%20%26%20Co')/items", 400, ""},
		{"a missing list names the title, unescaped", "web/lists/getbytitle('O''Brien%20%26%20Co2')/items", 404, "List 'O'Brien & Co2' does not exist at site with URL '" + srv.ServiceURL() + "'."},
		{"an unknown GUID", "web/lists(guid'00000000-0000-0000-0000-000000000000')/items", 404, ""},
		{"an unknown resource", "web/lists/getbytitle('O''Brien%20%26%20Co')/views", 404, ""},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			a := fetch(t, srv, tc.path, acceptNo)
			_, msg := a.odataError(t)
			if a.status != tc.status || tc.msg != "" && msg != tc.msg {
				t.Errorf("HTTP %d %q", a.status, msg)
			}
		})
	}
}

func TestMetadataEndpoints(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite(), sptest.WithoutAuth())
	defer srv.Close()

	t.Run("web/lists filters Hidden with true/false and orders by Title", func(t *testing.T) {
		a := fetch(t, srv, "web/lists?$select=Title,ItemCount,EntityTypeName&$filter="+q("Hidden eq false")+"&$orderby=Title", acceptNo)
		var got struct {
			Value []struct {
				Title          string
				ItemCount      int
				EntityTypeName string
			} `json:"value"`
		}
		if err := json.Unmarshal(a.body, &got); err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, l := range got.Value {
			titles = append(titles, l.Title)
		}
		if !slices.Equal(titles, []string{"Employees", "Projects", "Tasks"}) || got.Value[2].EntityTypeName != "TasksList" || got.Value[2].ItemCount != 250 {
			t.Errorf("lists %+v", got.Value)
		}
		all := fetch(t, srv, "web/lists?$select=Title", acceptNo)
		if !strings.Contains(string(all.body), `"User Information List"`) {
			t.Errorf("the hidden user list is missing: %s", all.body)
		}
	})
	t.Run("$skip and $top work on lists", func(t *testing.T) {
		a := fetch(t, srv, "web/lists?$select=Title&$orderby=Title&$skip=1&$top=1", acceptNo)
		if string(a.body) != `{"value":[{"Title":"Projects"}]}` {
			t.Errorf("%s", a.body)
		}
	})
	t.Run("an unknown list property", func(t *testing.T) {
		a := fetch(t, srv, "web/lists?$select=Colour", acceptNo)
		if _, msg := a.odataError(t); a.status != 400 || msg != "The property 'Colour' does not exist on type 'SP.List'. Make sure to only use property names that are defined by the type." {
			t.Errorf("HTTP %d %s", a.status, msg)
		}
	})
	t.Run("fields report names, types and lookups", func(t *testing.T) {
		a := fetch(t, srv, "web/lists/getbytitle('Tasks')/fields?$select=Title,InternalName,EntityPropertyName,TypeAsString,FieldTypeKind,LookupList,Choices,OutputType,Indexed&$filter="+q("Hidden eq false and ReadOnlyField eq false"), acceptNo)
		var got struct {
			Value []map[string]any `json:"value"`
		}
		if err := json.Unmarshal(a.body, &got); err != nil {
			t.Fatal(err)
		}
		by := map[string]map[string]any{}
		for _, f := range got.Value {
			by[f["Title"].(string)] = f
		}
		projects := fetch(t, srv, "web/lists/getbytitle('Projects')?$select=Id", acceptNo).json(t)["Id"]
		checks := []struct {
			title, key string
			want       any
		}{
			{"Due Date", "InternalName", "DueDate"},
			{"Assigned To", "InternalName", "Assigned_x0020_To"},
			{"Assigned To", "TypeAsString", "User"},
			{"Reviewers", "TypeAsString", "UserMulti"},
			{"Reviewers", "FieldTypeKind", 20.0},
			{"Related", "TypeAsString", "LookupMulti"},
			{"Project", "LookupList", projects},
			{"Project", "Indexed", true},
			{"Tags", "FieldTypeKind", 15.0},
			{"Estimate Hours", "EntityPropertyName", "Estimate_x0020_Hours"},
		}
		for _, c := range checks {
			if f, ok := by[c.title]; !ok || f[c.key] != c.want {
				t.Errorf("%s.%s = %v, want %v", c.title, c.key, f[c.key], c.want)
			}
		}
		if _, ok := by["Effort"]; ok {
			t.Error("the read-only calculated field passed ReadOnlyField eq false")
		}
		if ch, _ := by["Status"]["Choices"].([]any); len(ch) != 4 {
			t.Errorf("Status choices %v", by["Status"]["Choices"])
		}
	})
	t.Run("verbose choices are a collection", func(t *testing.T) {
		a := fetch(t, srv, "web/lists/getbytitle('Tasks')/fields/getbyinternalnameortitle('Status')?$select=Choices", acceptVerbose)
		d := a.json(t)["d"].(map[string]any)
		if ch := d["Choices"].(map[string]any); len(ch["results"].([]any)) != 4 {
			t.Errorf("Choices %v", ch)
		}
	})
	t.Run("the time zone", func(t *testing.T) {
		a := fetch(t, srv, "web/RegionalSettings/TimeZone", acceptNo)
		want := `{"Description":"(UTC-05:00) Eastern Time (US and Canada)","Id":10,"Information":{"Bias":300,"DaylightBias":-60,"StandardBias":0}}`
		if string(a.body) != want {
			t.Errorf("%s\nwant %s", a.body, want)
		}
	})
	t.Run("a create without a body is refused as SharePoint does", func(t *testing.T) {
		req, _ := newRequest(srv.ServiceURL()+"/_api/web/lists/getbytitle('Tasks')/items", nil)
		req.Method = "POST"
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("HTTP %d", resp.StatusCode)
		}
	})
}

func TestListEndpointsNeedAToken(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	if a := fetch(t, srv, "web/lists/getbytitle('Tasks')/items", acceptNo); a.status != 401 {
		t.Errorf("HTTP %d without a token", a.status)
	}
}
