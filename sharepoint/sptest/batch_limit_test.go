package sptest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// A batch holds at most 100 operations; SharePoint refuses a bigger one
// whole with 400 (docs/sharepoint.md §11.3).
func TestBatchOfMoreThan100OperationsIsRefused(t *testing.T) {
	srv := sptest.NewServer(logSite(), sptest.WithoutAuth())
	defer srv.Close()
	batch := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString("--batch_b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET " +
				srv.ServiceURL() + "/_api/web/lists/getbytitle('Log')/items(1) HTTP/1.1\r\nAccept: application/json;odata=nometadata\r\n\r\n")
		}
		b.WriteString("--batch_b--\r\n")
		return b.String()
	}
	h := map[string]string{"Content-Type": "multipart/mixed; boundary=batch_b", "Accept": acceptNo}
	if a := send(t, srv, "POST", "$batch", batch(100), h); a.status != http.StatusOK || strings.Count(string(a.body), "HTTP/1.1 200 OK") != 100 {
		t.Fatalf("100 operations: HTTP %d, want 200 with 100 answers", a.status)
	}
	a := send(t, srv, "POST", "$batch", batch(101), h)
	if a.status != http.StatusBadRequest || strings.Contains(string(a.body), "HTTP/1.1 200 OK") {
		t.Fatalf("101 operations: HTTP %d %.300s, want 400 and no operation answered", a.status, a.body)
	}
	if code, _ := a.odataError(t); code == "" {
		t.Errorf("101 operations: no OData error in %s", a.body)
	}
}
