package sptest_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// BenchmarkServeSyntheticPage measures the emulator's cost of one 5000-item
// page of a synthetic list: what it adds under client benchmarks.
func BenchmarkServeSyntheticPage(b *testing.B) {
	for _, accept := range []string{acceptNo, acceptVerbose} {
		b.Run(accept[len("application/json;"):], func(b *testing.B) {
			site := sptest.Site{Lists: []sptest.List{{Title: "Big", Generator: sptest.Synthetic(1, 1_000_000), Fields: []sptest.Field{
				{Title: "Status", Type: "Choice", Choices: []string{"New", "Open", "Closed"}},
				{Title: "Amount", Type: "Currency"},
				{Title: "Due", Type: "DateTime"},
				{Title: "Owner", Type: "User"},
				{Title: "Done", Type: "Boolean"},
			}}}}
			srv := sptest.NewServer(site, sptest.WithoutAuth())
			defer srv.Close()
			req, _ := http.NewRequest("GET", srv.ServiceURL()+"/_api/web/lists/getbytitle('Big')/items?$top=5000", nil)
			req.Header.Set("Accept", accept)
			client := srv.Client()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			b.ReportMetric(float64(5000*b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
