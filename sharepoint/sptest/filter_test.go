package sptest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// peopleSite is a small declared site the $filter table runs against.
func peopleSite() sptest.Site {
	return sptest.Site{
		TimeZone: "America/New_York",
		Lists: []sptest.List{
			{Title: "Depts", Items: []sptest.Item{{"Title": "Engineering"}, {"Title": "Sales"}, {"Title": "O'Reilly Ops"}}},
			{Title: "People", Fields: []sptest.Field{
				{Title: "Age", Type: "Integer"},
				{Title: "Score", Type: "Number"},
				{Title: "Active", Type: "Boolean"},
				{Title: "Joined", Type: "DateTime"},
				{Title: "Birthday", Type: "DateTime", DisplayFormat: "DateOnly"},
				{Title: "Team", Type: "Choice", Choices: []string{"Red", "Blue", "Green"}},
				{Title: "Skills", Type: "MultiChoice", Choices: []string{"Go", "SQL", "Excel"}},
				{Title: "Manager", Type: "User"},
				{Title: "Mentors", Type: "UserMulti"},
				{Title: "Dept", Type: "Lookup", LookupList: "Depts"},
				{Title: "Projects", Type: "LookupMulti", LookupList: "Depts"},
				{Title: "Bio", Type: "Note"},
				{Title: "Ratio", Type: "Calculated", OutputType: "Number"},
			}, Items: []sptest.Item{
				{"Title": "Alice", "Age": 30, "Score": 9.5, "Active": true, "Joined": "2024-01-15T10:00:00Z", "Birthday": "1990-07-04", "Team": "Red", "Skills": []string{"Go", "SQL"}, "Manager": 6, "Dept": 1, "Ratio": 0.25, "Mentors": []int{7}},
				{"Title": "Bob", "Age": 25, "Score": 7.0, "Active": false, "Joined": "2023-06-01T00:00:00Z", "Birthday": "1990-01-04", "Team": "Blue", "Skills": []string{"SQL"}, "Manager": 7, "Dept": 2, "Ratio": 0.75},
				{"Title": "carol", "Age": 35, "Active": true, "Joined": "2024-03-10T23:30:00Z", "Team": "Red", "Dept": 3},
				{"Title": "Dan O'Neil", "Age": 40, "Score": 5.25, "Active": false, "Skills": []string{"Go"}, "Manager": 6},
				{"Title": "Eve", "Score": 8.0, "Active": true, "Joined": "2022-12-31T12:00:00Z", "Team": "Green", "Skills": []string{"Excel"}, "Manager": 8, "Dept": 1},
				{"Title": "Zoë", "Age": 28, "Score": 6.5, "Active": false, "Joined": time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC), "Team": "Blue", "Skills": []string{"Go", "Excel"}, "Manager": 11, "Dept": 2},
			}},
		},
	}
}

func TestFilterSelectsItemsAsSharePointDoes(t *testing.T) {
	srv := sptest.NewServer(peopleSite(), sptest.WithoutAuth())
	defer srv.Close()
	tests := []struct {
		name   string
		filter string
		expand string
		want   []int
	}{
		{"eq on text", "Title eq 'Alice'", "", []int{1}},
		{"text comparison ignores case", "Title eq 'ALICE'", "", []int{1}},
		{"a doubled quote is a quote", "Title eq 'Dan O''Neil'", "", []int{4}},
		{"unicode text matches", "Title eq 'Zoë'", "", []int{6}},
		{"ne on text", "Title ne 'Alice'", "", []int{2, 3, 4, 5, 6}},
		{"gt skips empty values", "Age gt 28", "", []int{1, 3, 4}},
		{"and", "Age ge 28 and Age lt 40", "", []int{1, 3, 6}},
		{"or", "Age le 25 or Age eq 40", "", []int{2, 4}},
		{"parentheses group", "(Age lt 30 or Age gt 35) and Team eq 'Blue'", "", []int{2, 6}},
		{"not negates a group", "not (Team eq 'Red')", "", []int{2, 4, 5, 6}},
		{"ne includes empty values", "Team ne 'Red'", "", []int{2, 4, 5, 6}},
		{"eq null", "Team eq null", "", []int{4}},
		{"ne null", "Team ne null", "", []int{1, 2, 3, 5, 6}},
		{"numbers compare numerically", "Score gt 7.5", "", []int{1, 5}},
		{"an integral literal matches a float", "Score eq 7", "", []int{2}},
		{"Boolean eq 1", "Active eq 1", "", []int{1, 3, 5}},
		{"Boolean eq 0", "Active eq 0", "", []int{2, 4, 6}},
		{"Boolean eq true returns the opposite rows (the documented trap)", "Active eq true", "", []int{2, 4, 6}},
		{"Boolean eq false returns the opposite rows too", "Active eq false", "", []int{1, 3, 5}},
		{"datetime literal", "Joined ge datetime'2024-01-01T00:00:00Z'", "", []int{1, 3, 6}},
		{"plain ISO string for a date", "Joined lt '2024-01-15T05:00:00Z'", "", []int{2, 5, 6}},
		{"dates compare in UTC", "Joined ge '2024-01-15T00:00:00-05:00'", "", []int{1, 3}},
		{"date-only values are local midnight in UTC", "Birthday eq '1990-07-04T04:00:00Z'", "", []int{1}},
		{"date-only in winter is 05:00Z in New York", "Birthday eq '1990-01-04T05:00:00Z'", "", []int{2}},
		{"a bare date is UTC midnight and misses date-only values", "Birthday eq '1990-07-04'", "", []int{}},
		{"startswith ignores case", "startswith(Title,'a')", "", []int{1}},
		{"startswith with a space", "startswith(Title,'Dan O')", "", []int{4}},
		{"substringof", "substringof('o',Title)", "", []int{2, 3, 4, 6}},
		{"not substringof", "not substringof('o',Title)", "", []int{1, 5}},
		{"a function eq false", "substringof('o',Title) eq false", "", []int{1, 5}},
		{"MultiChoice eq matches sets containing the value", "Skills eq 'Go'", "", []int{1, 4, 6}},
		{"MultiChoice ne", "Skills ne 'Go'", "", []int{2, 3, 5}},
		{"lookup by Id", "DeptId eq 1", "", []int{1, 5}},
		{"lookup Id eq null", "DeptId eq null", "", []int{4}},
		{"lookup projection with expand", "Dept/Title eq 'Sales'", "Dept", []int{2, 6}},
		{"lookup projection with a quote", "Dept/Title eq 'O''Reilly Ops'", "Dept", []int{3}},
		{"lookup projection Id", "Dept/Id eq 3", "Dept", []int{3}},
		{"person by Id", "ManagerId eq 6", "", []int{1, 4}},
		{"person by display name", "Manager/Title eq 'Ada Lovelace'", "Manager", []int{1, 4}},
		{"person by email", "Manager/EMail eq 'alan.turing@contoso.onmicrosoft.com'", "Manager", []int{5}},
		{"Author is the default user", "AuthorId eq 11", "", []int{1, 2, 3, 4, 5, 6}},
		{"ID range", "ID le 3", "", []int{1, 2, 3}},
		{"Id is ID", "Id gt 4", "", []int{5, 6}},
		{"or chain", "ID eq 1 or ID eq 3 or ID eq 5", "", []int{1, 3, 5}},
		{"calculated numbers compare as numbers", "Ratio gt 0.5", "", []int{2}},
		{"a number literal may be quoted", "Age eq '30'", "", []int{1}},
		{"OData type suffixes are accepted", "Score lt 6.6d", "", []int{4, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := "web/lists/getbytitle('People')/items?$select=ID&$filter=" + q(tc.filter)
			if tc.expand != "" {
				path += "&$expand=" + tc.expand
			}
			a := fetch(t, srv, path, acceptNo)
			if a.status != 200 {
				t.Fatalf("HTTP %d: %s", a.status, a.body)
			}
			if got := a.itemIDs(t); !slices.Equal(got, tc.want) {
				t.Errorf("$filter=%s selected %v, want %v", tc.filter, got, tc.want)
			}
		})
	}
}

func TestFilterRejectsWhatSharePointRejects(t *testing.T) {
	srv := sptest.NewServer(peopleSite(), sptest.WithoutAuth())
	defer srv.Close()
	const invalid = "-1, Microsoft.SharePoint.Client.InvalidClientQueryException"
	const argument = "-2147024809, System.ArgumentException"
	tests := []struct {
		name, filter string
		code, msg    string // msg "" checks only the code
	}{
		{"contains is not supported", "contains(Title,'a')", invalid, `The expression "contains(Title,'a')" is not valid.`},
		{"endswith is not supported", "endswith(Title,'e')", invalid, ""},
		{"tolower is not supported", "tolower(Title) eq 'alice'", invalid, ""},
		{"toupper is not supported", "toupper(Title) eq 'ALICE'", invalid, ""},
		{"substring is not supported", "substring(Title,1) eq 'lice'", invalid, ""},
		{"trim is not supported", "trim(Title) eq 'Alice'", invalid, ""},
		{"concat is not supported", "concat(Title,'x') eq 'Alicex'", invalid, ""},
		{"year() does not work on _api", "year(Joined) eq 2024", invalid, ""},
		{"day() does not work on _api", "day(Joined) eq 15", invalid, ""},
		{"round is not supported", "round(Score) eq 7", invalid, ""},
		{"arithmetic is not supported", "Age add 1 eq 31", invalid, ""},
		{"division is not supported", "Age div 2 eq 15", invalid, ""},
		{"in is not supported", "Team in ('Red','Blue')", invalid, ""},
		{"an unknown column", "Nope eq 1", argument, "Column 'Nope' does not exist. It may have been deleted by another user."},
		{"an unknown column inside and", "Age eq 1 and Colour eq 'x'", argument, "Column 'Colour' does not exist. It may have been deleted by another user."},
		{"a missing operand", "Title eq", invalid, ""},
		{"an unterminated string", "Title eq 'Alice", invalid, ""},
		{"an unbalanced parenthesis", "(Title eq 'Alice'", invalid, ""},
		{"a bare column", "Active", invalid, ""},
		{"a literal on the left", "'Alice' eq Title", invalid, ""},
		{"two columns", "Title eq Team", invalid, ""},
		{"multi-value persons cannot be filtered", "MentorsId eq 7", invalid, "The field 'Mentors' of type 'UserMulti' cannot be used in the query filter expression."},
		{"multi-value lookups cannot be filtered", "ProjectsId eq 1", invalid, ""},
		{"a lookup needs Id or a projection", "Dept eq 'Sales'", invalid, ""},
		{"a projection needs $expand", "Dept/Title eq 'Sales'", invalid, "The query to field 'Dept/Title' is not valid. The $select query string must specify the target fields and the $expand query string must contain Dept."},
		{"multi-line text cannot be filtered", "Bio eq 'x'", invalid, ""},
		{"MultiChoice has no order", "Skills gt 'A'", invalid, ""},
		{"a number is not a date", "Joined eq 5", invalid, ""},
		{"text is not a number", "Age eq 'abc'", invalid, ""},
		{"an unknown function", "frobnicate(Title)", invalid, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := fetch(t, srv, "web/lists/getbytitle('People')/items?$filter="+q(tc.filter), acceptNo)
			if a.status != 400 {
				t.Fatalf("HTTP %d, want 400: %s", a.status, a.body)
			}
			code, msg := a.odataError(t)
			if code != tc.code || tc.msg != "" && msg != tc.msg {
				t.Errorf("error %q %q, want %q %q", code, msg, tc.code, tc.msg)
			}
		})
	}
}

func TestQueryOptionErrors(t *testing.T) {
	srv := sptest.NewServer(peopleSite(), sptest.WithoutAuth())
	defer srv.Close()
	tests := []struct {
		name, query, msg string
	}{
		{"an unknown $select field", "$select=Nope", "The field or property 'Nope' does not exist."},
		{"a person without $expand", "$select=Manager", "The query to field 'Manager' is not valid. The $select query string must specify the target fields and the $expand query string must contain Manager."},
		{"a projection without $expand", "$select=Dept/Title", "The query to field 'Dept/Title' is not valid. The $select query string must specify the target fields and the $expand query string must contain Dept."},
		{"an unknown projected field", "$select=Dept/Nope&$expand=Dept", "The field or property 'Nope' does not exist."},
		{"$expand of a non-lookup", "$expand=Title", "The field or property 'Title' does not exist."},
		{"$orderby on an unknown column", "$orderby=Nope", "Column 'Nope' does not exist. It may have been deleted by another user."},
		{"$orderby with a bad direction", "$orderby=Title%20sideways", ""},
		{"$orderby on a multi-value person", "$orderby=Mentors", ""},
		{"$top above 5000", "$top=5001", ""},
		{"$top not a number", "$top=ten", ""},
		{"a malformed skiptoken", "$skiptoken=Paged%3DFALSE", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := fetch(t, srv, "web/lists/getbytitle('People')/items?"+tc.query, acceptNo)
			if a.status != 400 {
				t.Fatalf("HTTP %d, want 400: %s", a.status, a.body)
			}
			if _, msg := a.odataError(t); tc.msg != "" && msg != tc.msg {
				t.Errorf("message %q, want %q", msg, tc.msg)
			}
		})
	}
}

// TestFilterOnSyntheticItemsMatchesGeneratedValues checks filtering over
// generated items against the generator's own values.
func TestFilterOnSyntheticItemsMatchesGeneratedValues(t *testing.T) {
	gen := sptest.Synthetic(7, 300)
	site := sptest.Site{Lists: []sptest.List{{Title: "Gen", Generator: gen, Fields: []sptest.Field{
		{Title: "Status", Type: "Choice", Choices: []string{"New", "Open", "Closed"}},
		{Title: "Amount", Type: "Number"},
	}}}}
	srv := sptest.NewServer(site, sptest.WithoutAuth())
	defer srv.Close()
	var want []int
	for id := 1; id <= gen.Len(); id++ {
		it := gen.Item(id)
		if it["Status"] == "Open" {
			if a, ok := it["Amount"].(float64); ok && a > 20000 {
				want = append(want, id)
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("the generator produced no matching item; pick another seed")
	}
	a := fetch(t, srv, "web/lists/getbytitle('Gen')/items?$top=5000&$select=ID&$filter="+q("Status eq 'Open' and Amount gt 20000"), acceptNo)
	if got := a.itemIDs(t); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

}

// A synthetic list's lookups into a declared list point at that list's
// items. (They were all empty once: the generator's plan was made before
// the declared items were added.)
func TestSyntheticLookupsIntoADeclaredListPointAtItsItems(t *testing.T) {
	gen := sptest.Synthetic(3, 200)
	site := sptest.Site{Lists: []sptest.List{
		{Title: "Categories", Items: []sptest.Item{{"ID": 1, "Title": "A"}, {"ID": 2, "Title": "B"}, {"ID": 9, "Title": "C"}}},
		{Title: "Gen", Generator: gen, Fields: []sptest.Field{{Title: "Category", Type: "Lookup", LookupList: "Categories"}}},
	}}
	srv := sptest.NewServer(site, sptest.WithoutAuth())
	defer srv.Close()
	seen := map[int]int{}
	for id := 1; id <= gen.Len(); id++ {
		if c, ok := gen.Item(id)["Category"].(int); ok {
			seen[c]++
		}
	}
	if len(seen) != 3 || seen[1] == 0 || seen[2] == 0 || seen[9] == 0 {
		t.Fatalf("lookup IDs used: %v, want 1, 2 and 9", seen)
	}
	a := fetch(t, srv, "web/lists/getbytitle('Gen')/items?$top=5000&$select=ID&$filter="+q("CategoryId eq 9"), acceptNo)
	if got := len(a.itemIDs(t)); got != seen[9] {
		t.Errorf("CategoryId eq 9 matched %d items, want %d", got, seen[9])
	}
}
