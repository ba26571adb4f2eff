package main

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-spsql/spsql"
)

// openDB opens the connection for dsn. With -v it goes through a
// connector whose HTTP client logs every request the driver sends, to
// SharePoint and to the token endpoint alike (spsql.WithHTTPClient), to
// log; closeDB closes the database and that client's idle connections.
func openDB(dsn string, verbose bool, log io.Writer) (db *sql.DB, closeDB func(), err error) {
	if !verbose {
		db, err := sql.Open(spsql.DriverName, dsn)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, nil
	}
	cfg, err := spsql.ParseDSN(dsn)
	if err != nil {
		return nil, nil, err
	}
	if cfg.ProxyHost != "" {
		// The driver configures ProxyHost on its own transport only.
		return nil, nil, errors.New("spsql: -v cannot be combined with the ProxyHost property; set HTTPS_PROXY instead (it applies when ProxyHost is empty)")
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	client := &http.Client{Transport: &requestLog{next: base, out: log, now: time.Now, slow: slowRequest}}
	connector, err := spsql.NewConnector(cfg, spsql.WithHTTPClient(client))
	if err != nil {
		return nil, nil, err
	}
	db = sql.OpenDB(connector)
	return db, func() {
		db.Close()
		base.CloseIdleConnections()
	}, nil
}

// slowRequest is how long -v lets a request go unanswered before it says
// that it is still waiting, so that a slow server is not silent.
const slowRequest = 2 * time.Second

// requestLog is a RoundTripper that writes one line per request to out:
// method, URL, status and time taken, and a line before that when no
// answer came within slow (if not zero). It never writes headers or
// bodies, where tokens and secrets travel (the token endpoint's body holds
// the refresh token and client secret), nor the URL's user information.
type requestLog struct {
	next http.RoundTripper
	now  func() time.Time
	slow time.Duration

	mu  sync.Mutex // one line at a time from parallel requests
	out io.Writer
}

func (l *requestLog) RoundTrip(req *http.Request) (*http.Response, error) {
	u := *req.URL
	u.User, u.Fragment, u.RawFragment = nil, "", ""
	start := l.now()
	stopWaiting := func() bool { return false }
	if l.slow > 0 {
		stopWaiting = time.AfterFunc(l.slow, func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			fmt.Fprintf(l.out, "spsql: %s %s … no answer yet after %s, still waiting\n", req.Method, u.String(), l.slow)
		}).Stop
	}
	resp, err := l.next.RoundTrip(req)
	stopWaiting()
	took := l.now().Sub(start).Round(100 * time.Microsecond)
	outcome := "no answer" // the driver's error says why
	if err == nil {
		outcome = resp.Status
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.out, "spsql: %s %s → %s (%s)\n", req.Method, u.String(), outcome, took)
	return resp, err
}
