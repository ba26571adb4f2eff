package sptest_test

import (
	"net"
	"net/http"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

func TestWithListenerServesOnTheGivenListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := sptest.NewServer(sptest.DemoSite(), sptest.WithListener(l), sptest.WithoutAuth())
	if srv.URL != "http://"+l.Addr().String() {
		t.Errorf("URL %s, listener at %s", srv.URL, l.Addr())
	}
	resp, err := http.Get(srv.ServiceURL() + "/_api/web")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET _api/web: %s", resp.Status)
	}
	srv.Close()
	if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
		c.Close()
		t.Error("the listener still accepts connections after Close")
	}
}
