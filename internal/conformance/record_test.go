package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }

// A request that got no answer (cancelled, or failed in the network) is
// recorded too, with the error and without a response, so that a
// recording holds every request the driver made; the secret in its URL
// is scrubbed like any other.
func TestRecorderKeepsRequestsWithoutAnAnswer(t *testing.T) {
	dir := t.TempDir()
	rec, err := NewRecorder(dir, failingTransport{context.Canceled}, []string{"s3cr3t-value"}, "https://contoso.sharepoint.com/sites/x")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "https://contoso.sharepoint.com/sites/x/_api/web/lists?x=s3cr3t-value", nil)
	if _, err := rec.RoundTrip(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("RoundTrip error %v, want the transport's", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "0001.json"))
	if err != nil {
		t.Fatalf("no exchange recorded for the failed request: %v", err)
	}
	var ex Exchange
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Error == "" || ex.Response.Status != 0 || ex.Request.Method != "GET" {
		t.Errorf("exchange %+v: want the request, the error and no response", ex)
	}
	if strings.Contains(string(b), "s3cr3t-value") || strings.Contains(string(b), "contoso") {
		t.Errorf("recording holds a secret or the host:\n%s", b)
	}
}
