package sptest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// manyLookupsSite has a list with ten lookup and person columns of its
// own (L1…L6, P1…P4) besides Author and Editor: twelve in all.
func manyLookupsSite() sptest.Site {
	fields := []sptest.Field{{Title: "Score", Type: "Number"}}
	item := sptest.Item{"Title": "one", "Score": 1.0}
	for i := 1; i <= 6; i++ {
		fields = append(fields, sptest.Field{Title: fmt.Sprintf("L%d", i), Type: "Lookup", LookupList: "Targets"})
		item[fmt.Sprintf("L%d", i)] = 1
	}
	for i := 1; i <= 4; i++ {
		fields = append(fields, sptest.Field{Title: fmt.Sprintf("P%d", i), Type: "User"})
		item[fmt.Sprintf("P%d", i)] = 7
	}
	fields = append(fields, sptest.Field{Title: "Multi", Type: "LookupMulti", LookupList: "Targets"})
	return sptest.Site{Lists: []sptest.List{
		{Title: "Targets", Items: []sptest.Item{{"Title": "T"}}},
		{Title: "Wide", Fields: fields, Items: []sptest.Item{item}},
	}}
}

func TestLookupThresholdRefusesMoreThanTwelveLookupColumns(t *testing.T) {
	srv := sptest.NewServer(manyLookupsSite(), sptest.WithoutAuth())
	defer srv.Close()
	ids := func(names ...string) string {
		for i, n := range names {
			names[i] = n + "Id"
		}
		return strings.Join(names, ",")
	}
	twelve := ids("L1", "L2", "L3", "L4", "L5", "L6", "P1", "P2", "P3", "P4", "Author", "Editor")
	for _, tt := range []struct {
		name, query string
		ok          bool
	}{
		{"twelve IDs", "$select=ID," + twelve, true},
		{"thirteen IDs", "$select=ID," + twelve + ",MultiId", false},
		{"an ID and an expansion of one column count once", "$select=ID,L1Id,L1/Title&$expand=L1", true},
		{"expanded values count like IDs", "$select=ID,L1/Title,L2/Title,L3/Title,L4/Title,L5/Title,L6/Title,P1/Title,P2/Title,P3/Title,P4/Title,Author/Title,Editor/Title,Multi/Title&$expand=L1,L2,L3,L4,L5,L6,P1,P2,P3,P4,Author,Editor,Multi", false},
		{"an expansion alone counts", "$select=ID," + twelve + "&$expand=Multi", false},
		{"a filter on a thirteenth counts", "$select=ID,MultiId," + ids("L2", "L3", "L4", "L5", "L6", "P1", "P2", "P3", "P4", "Author", "Editor") + "&$filter=" + q("L1Id eq 1"), false},
		{"a sort on a thirteenth counts", "$select=ID,MultiId," + ids("L2", "L3", "L4", "L5", "L6", "P1", "P2", "P3", "P4", "Author", "Editor") + "&$orderby=L1Id", false},
		{"a sort on a plain column does not", "$select=ID," + twelve + "&$orderby=Score", true},
		{"no $select reads every lookup column", "", false},
		{"plain columns do not count", "$select=ID,Title,Score", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := fetch(t, srv, "web/lists/getbytitle('Wide')/items?"+tt.query, acceptNo)
			if tt.ok {
				if a.status != http.StatusOK {
					t.Fatalf("status %d: %s", a.status, a.body)
				}
				return
			}
			if a.status != http.StatusInternalServerError {
				t.Fatalf("status %d, want 500: %s", a.status, a.body)
			}
			code, msg := a.odataError(t)
			if code != "-2147024749, Microsoft.SharePoint.SPQueryThrottledException" ||
				msg != "The query cannot be completed because the number of lookup columns it contains exceeds the lookup column threshold." {
				t.Errorf("error %q: %q", code, msg)
			}
		})
	}
	// One item is exempt, as in SharePoint.
	if a := fetch(t, srv, "web/lists/getbytitle('Wide')/items(1)?$select=ID,"+twelve+",MultiId", acceptNo); a.status != http.StatusOK {
		t.Errorf("single item: status %d: %s", a.status, a.body)
	}
}
