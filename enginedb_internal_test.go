package spsql

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
)

// EngineDB runs queries through the driver without database/sql and
// without TCP, for the differential tests (the external test package
// sees it; the driver's API does not): a Connector whose requests an
// in-process handler serves, and each query run by a conn's QueryContext
// — the parse, the engine's plan over the root's source, the cursor —
// its rows converted by rows.Next (driverValue), as database/sql would
// receive them. What database/sql adds on top (the connection pool, the
// argument conversion, Scan into *any) leaves these values as they are.
type EngineDB struct{ connector *Connector }

// OpenEngineDB opens dsn's connector with requests served by h (an
// sptest server's Handler) in process.
func OpenEngineDB(dsn string, h http.Handler) (*EngineDB, error) {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	c, err := newConnector(&Driver{}, cfg, WithHTTPClient(&http.Client{Transport: handlerTransport{h}}))
	if err != nil {
		return nil, err
	}
	return &EngineDB{connector: c}, nil
}

// Close closes the connector.
func (e *EngineDB) Close() error { return e.connector.Close() }

// QueryRows runs query with args and returns every row, as database/sql
// with Scan into *any would.
func (e *EngineDB) QueryRows(query string, args ...any) ([][]any, error) {
	ctx := context.Background()
	c := &conn{connector: e.connector}
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		if err := c.CheckNamedValue(&named[i]); err != nil {
			return nil, err
		}
	}
	dr, err := c.QueryContext(ctx, query, named)
	if err != nil {
		return nil, err
	}
	defer dr.Close()
	dest := make([]driver.Value, len(dr.Columns()))
	var out [][]any
	for {
		if err := dr.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				return out, dr.Close()
			}
			return nil, err
		}
		row := make([]any, len(dest))
		for i, v := range dest {
			if b, ok := v.([]byte); ok {
				v = append([]byte(nil), b...) // Scan into *any copies bytes
			}
			row[i] = v
		}
		out = append(out, row)
	}
}

// handlerTransport serves each request with a handler in process. The
// answer is whole before the client reads it (no streaming), which only
// changes when the bytes arrive.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	// The request as a server would see it.
	r := req.Clone(req.Context())
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	r.RequestURI = req.URL.RequestURI()
	r.RemoteAddr = "127.0.0.1:1"
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}
