package sptest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// A deleted column leaves the list's fields, a $select naming it gets
// SharePoint's field-not-found answer, and the other columns keep their
// values (the rows were renumbered, not shifted).
func TestDeleteField(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite(), sptest.WithoutAuth())
	defer srv.Close()
	items := "web/lists/getbytitle('Tasks')/items?$select=ID,Title,Status,Priority,DueDate&$orderby=ID&$top=3"
	before := fetch(t, srv, items, acceptNo)
	if before.status != http.StatusOK {
		t.Fatalf("before: %d %s", before.status, before.body)
	}
	if err := srv.DeleteField("tasks", "Priority"); err != nil {
		t.Fatal(err)
	}
	fields := fetch(t, srv, "web/lists/getbytitle('Tasks')/fields?$select=InternalName", acceptNo)
	if fields.status != http.StatusOK || strings.Contains(string(fields.body), `"Priority"`) || !strings.Contains(string(fields.body), `"Status"`) {
		t.Errorf("fields after the delete: %d %s", fields.status, fields.body)
	}
	gone := fetch(t, srv, items, acceptNo)
	if code, msg := gone.odataError(t); gone.status != http.StatusBadRequest || !strings.Contains(msg, "'Priority' does not exist") {
		t.Errorf("$select of the deleted column: %d %s %s", gone.status, code, msg)
	}
	filtered := fetch(t, srv, "web/lists/getbytitle('Tasks')/items?$select=ID&$filter=Priority%20eq%20'x'", acceptNo)
	if _, msg := filtered.odataError(t); filtered.status != http.StatusBadRequest || !strings.Contains(msg, "'Priority' does not exist") {
		t.Errorf("$filter on the deleted column: %d %s", filtered.status, msg)
	}
	after := fetch(t, srv, strings.Replace(items, "Priority,", "", 1), acceptNo)
	b, a := before.json(t)["value"].([]any), after.json(t)["value"].([]any)
	if len(a) != len(b) {
		t.Fatalf("after: %s", after.body)
	}
	for i := range b {
		bi, ai := b[i].(map[string]any), a[i].(map[string]any)
		for _, k := range []string{"ID", "Title", "Status", "DueDate"} {
			if bi[k] != ai[k] {
				t.Errorf("item %d %s: %v before, %v after", i, k, bi[k], ai[k])
			}
		}
		if _, ok := ai["Priority"]; ok {
			t.Errorf("item %d still has Priority", i)
		}
	}
	for _, bad := range [][2]string{{"Tasks", "Modified"}, {"Tasks", "Nope"}, {"Nope", "Title"}, {"Projects", "Title"}} {
		if err := srv.DeleteField(bad[0], bad[1]); err == nil {
			t.Errorf("DeleteField(%q, %q) succeeded", bad[0], bad[1])
		}
	}
}
