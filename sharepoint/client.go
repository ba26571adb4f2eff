// Package sharepoint is a client for the SharePoint Online REST API (the
// /_api endpoints of one site). It knows nothing of database/sql; the spsql
// driver builds on it.
package sharepoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultUserAgent identifies the driver to SharePoint, which asks callers
// to decorate their traffic so throttling can be attributed (reference §4).
const DefaultUserAgent = "NONISV|go-spsql|spsql/0.1"

// Client talks to one SharePoint site. It is safe for concurrent use.
type Client struct {
	site      *url.URL
	http      *http.Client
	userAgent string
	timeout   time.Duration
	logger    *slog.Logger
}

// Option configures a Client.
type Option func(*Client)

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithTimeout bounds each HTTP request; 0 means no limit beyond the context.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithLogger sets the logger for request-level debug messages.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.logger = l } }

// NewClient returns a client for the site at siteURL (e.g.
// https://corp.sharepoint.com/sites/x). httpClient carries the
// authentication (see package auth); nil means http.DefaultClient.
func NewClient(siteURL string, httpClient *http.Client, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(siteURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("sharepoint: site URL %q is not an absolute http(s) URL", siteURL)
	}
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	c := &Client{site: u, http: httpClient, userAgent: DefaultUserAgent, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(c)
	}
	return c, nil
}

// SiteURL returns the site's URL, without a trailing slash.
func (c *Client) SiteURL() string { return c.site.String() }

// Web describes the site.
type Web struct {
	Title string `json:"Title"`
	URL   string `json:"Url"`
}

// Web fetches the site's title and URL. It is the cheapest authenticated
// request there is, which makes it the driver's Ping.
func (c *Client) Web(ctx context.Context) (*Web, error) {
	var w Web
	if err := c.getJSON(ctx, "_api/web?$select=Title,Url", &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// getJSON GETs path (relative to the site) and decodes a JSON object
// answer into v, accepting the verbose {"d":{…}} envelope too.
func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	body, err := c.get(ctx, path)
	if err != nil {
		return err
	}
	var verbose struct {
		D json.RawMessage `json:"d"`
	}
	if json.Unmarshal(body, &verbose) == nil && len(verbose.D) > 0 {
		body = verbose.D
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("sharepoint: decoding the answer to %s: %w", path, err)
	}
	return nil
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

func (c *Client) get(ctx context.Context, path string) ([]byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	target := c.site.String() + "/" + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("sharepoint: building request for %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/json;odata=nometadata")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sharepoint: GET %s: %w", target, unwrapURLError(err))
	}
	defer resp.Body.Close()
	c.logger.DebugContext(ctx, "sharepoint: request", "method", http.MethodGet, "url", target, "status", resp.StatusCode)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, parseError(resp.StatusCode, http.MethodGet, target, body)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("sharepoint: reading the answer to GET %s: %w", target, err)
	}
	return body, nil
}

// unwrapURLError drops *url.Error's "Get "<url>": " prefix, which the
// caller's message already carries, and keeps the cause (auth errors
// included) reachable with errors.Is/As.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
