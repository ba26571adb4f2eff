package sharepoint

import (
	"context"
	"net/http"
	"reflect"
	"sync"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// SharePoint Online compresses its answers when asked to. Go's transport
// asks (Accept-Encoding: gzip) and decompresses by itself, so the client
// needs no code of its own for it: these tests pin that down against the
// emulator with sptest.WithGzip.

// seeEncoding records, per answer, whether the transport decompressed it:
// http.Response.Uncompressed is set only when the transport itself asked
// for gzip and the server answered with Content-Encoding: gzip.
type seeEncoding struct {
	base http.RoundTripper
	mu   sync.Mutex
	got  []bool
}

func (s *seeEncoding) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(r)
	if err == nil {
		s.mu.Lock()
		s.got = append(s.got, resp.Uncompressed)
		s.mu.Unlock()
	}
	return resp, err
}

func TestGzipAnswersAreDecompressedTransparently(t *testing.T) {
	plain := emulator(t, synthetic(2500))
	zipped := emulator(t, synthetic(2500), sptest.WithGzip())
	q := Query{Select: []string{"ID", "Title", "Amount", "Status", "Due Date", "Created", "AuthorId"}}
	want := readAll(t, must(t)(emulatorClient(t, plain, nil, WithPageSize(1000)).Items(context.Background(), "Big", q)))

	see := &seeEncoding{base: zipped.Client().Transport}
	got := readAll(t, must(t)(emulatorClient(t, zipped, see, WithPageSize(1000)).Items(context.Background(), "Big", q)))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("gzip changed the rows: %d rows, want %d", len(got), len(want))
	}
	if len(see.got) != 4 { // fields + 3 pages
		t.Fatalf("%d answers, want 4", len(see.got))
	}
	for i, unzipped := range see.got {
		if !unzipped {
			t.Errorf("answer %d was not compressed and decompressed by the transport", i)
		}
	}
}

// A compressed body cut short is retried like a plain one.
func TestGzipCutBodiesLoseAndRepeatNothing(t *testing.T) {
	for name, fault := range map[string]sptest.Fault{
		"a body cut mid-page": {Cut: true},
		"a body cut early":    {Cut: true, CutAfterBytes: 20},
	} {
		t.Run(name, func(t *testing.T) {
			srv := emulator(t, synthetic(3000), sptest.WithGzip())
			c := emulatorClient(t, srv, nil, WithPageSize(500))
			if _, err := c.Fields(context.Background(), "Big"); err != nil {
				t.Fatal(err)
			}
			srv.FailRequest(3, fault)
			srv.FailRequest(5, fault)
			rows := readAll(t, must(t)(c.Items(context.Background(), "Big", Query{Select: []string{"ID"}})))
			if len(rows) != 3000 {
				t.Fatalf("got %d rows, want 3000", len(rows))
			}
			for i, r := range rows {
				if r[0] != int64(i+1) {
					t.Fatalf("row %d has ID %v", i, r[0])
				}
			}
		})
	}
}
