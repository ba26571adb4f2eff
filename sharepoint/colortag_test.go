package sharepoint

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// Rows recorded since 2023 carry "OData__ColorTag": null though the list
// has no such field (docs/sharepoint.md §6.2): a page decoded for the
// list's own columns skips it, and nothing shifts.
func TestDecodeSkipsColorTagWhenNotAField(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "payloads", "pnpcore_items_nometadata_page_with_odata_nextLink.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ Body json.RawMessage }
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	fields := []Field{{InternalName: "ID", EntityPropertyName: "ID", Type: "Counter"}, {InternalName: "Title", EntityPropertyName: "Title", Type: "Text"},
		{InternalName: "GUID", EntityPropertyName: "GUID", Type: "Guid"}}
	cols, _, _, err := resolveColumns("T", fields, []string{"ID", "Title", "GUID"})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := newPageDecoder(cols).decode(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{int64(1), "Item 0", "682408cb-d00b-4758-9bc6-44027490b0ad"}; len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
		t.Errorf("rows = %#v, want %#v", rows, want)
	}
}
