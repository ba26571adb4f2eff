package spsql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/internal/redact"
	"github.com/go-spsql/spsql/sharepoint"
)

// Option configures a connector made by NewConnector.
type Option func(*connectorOptions)

type connectorOptions struct {
	httpClient  *http.Client
	logger      *slog.Logger
	tokenSource oauth2.TokenSource
	tokenStore  auth.RefreshTokenStore
}

// WithHTTPClient makes the driver send its requests (the token endpoint's
// included) through client's Transport, keeping its redirect policy and
// cookie jar. The driver adds authentication on top, and narrows the
// redirect policy: no write follows a redirect, no read one out of the
// ServiceURL's origin (sharepoint.ErrRedirect), no token request one out
// of the token endpoint's origin. client's Timeout is not used (WSTimeout
// bounds each request). It cannot be combined with the
// Proxy* properties: configure the proxy on client's transport instead.
func WithHTTPClient(client *http.Client) Option {
	return func(o *connectorOptions) { o.httpClient = client }
}

// WithLogger sets the logger for the driver's diagnostics. Secrets are never
// logged. Without it, nothing is logged. Connectors that share a
// TokenCacheFile share one token source only when they share the logger too
// (see TokenCacheFile).
func WithLogger(logger *slog.Logger) Option {
	return func(o *connectorOptions) { o.logger = logger }
}

// WithTokenSource supplies access tokens from src instead of the
// refresh-token grant; the connection string's credentials are then not
// needed. If src has a method Invalidate(*oauth2.Token), it is called when
// SharePoint refuses a token, before the one retry.
func WithTokenSource(src oauth2.TokenSource) Option {
	return func(o *connectorOptions) { o.tokenSource = src }
}

// WithRefreshTokenStore keeps rotated refresh tokens in store instead of
// the TokenCacheFile: a callback for programs that keep secrets in a vault
// or database. See auth.RefreshTokenStore.
func WithRefreshTokenStore(store auth.RefreshTokenStore) Option {
	return func(o *connectorOptions) { o.tokenStore = store }
}

// Connector is a driver.Connector: every connection it opens shares its
// configuration, HTTP client and token source, so 50 goroutines querying
// through one *sql.DB with an expired token cause one token request.
type Connector struct {
	driver *Driver
	cfg    Config
	logger *slog.Logger
	client *sharepoint.Client
	// idle is the transport this connector made, if any: Close releases
	// its kept-alive connections (a program's own client is left alone).
	idle interface{ CloseIdleConnections() }
	// tokens is the refresh-token source this connector made or shares,
	// if any: Close stops a refresh still retrying, or lets go of the
	// shared source (a program's own source is left alone).
	tokens io.Closer
	// releasePacer lets go of the shared pacer (a no-op without pacing).
	releasePacer func()
}

// NewConnector returns a connector (a *Connector) for cfg, for use with
// sql.OpenDB. cfg is validated and copied; later changes to it have no
// effect.
func NewConnector(cfg *Config, opts ...Option) (driver.Connector, error) {
	if cfg == nil {
		return nil, errors.New("spsql: NewConnector needs a Config (see NewConfig)")
	}
	return newConnector(&Driver{}, cfg, opts...)
}

func newConnector(d *Driver, cfg *Config, opts ...Option) (*Connector, error) {
	var o connectorOptions
	for _, opt := range opts {
		opt(&o)
	}
	c := *cfg
	// A program-supplied token source stands in for the credentials that
	// validation would otherwise insist on.
	if err := c.check(o.tokenSource != nil); err != nil {
		return nil, err
	}
	logger := o.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logIgnored(logger, c.ignored)

	base, err := baseTransport(&c, o.httpClient)
	if err != nil {
		return nil, err
	}
	site, _ := url.Parse(c.ServiceURL) // validated by normalize
	origin := &url.URL{Scheme: site.Scheme, Host: site.Host}

	spHTTP := &http.Client{Transport: base}
	if o.httpClient != nil {
		spHTTP.Jar = o.httpClient.Jar
		spHTTP.CheckRedirect = o.httpClient.CheckRedirect
	}
	// One set of secrets for the token source and the SharePoint client:
	// whatever either quotes from a server passes through it.
	red := redact.New()
	var own io.Closer
	appOnly := c.AuthenticationMethod == AuthClientCertificate
	if c.AuthenticationMethod == AuthOAuth2 || appOnly {
		src := o.tokenSource
		switch {
		case src != nil:
			src = auth.RegisterTokens(src, red)
		case appOnly:
			cts, err := newClientCertificateSource(&c, base, logger, red)
			if err != nil {
				return nil, err
			}
			src, own = cts, cts
		case o.tokenStore == nil && c.TokenCacheFile != "":
			shared, err := acquireSharedSource(&c, o, base, logger)
			if err != nil {
				return nil, err
			}
			src, own, red = shared.src, shared, shared.red
		default:
			rts, err := newRefreshTokenSource(&c, base, o.tokenStore, logger, red)
			if err != nil {
				return nil, err
			}
			src, own = rts, rts
		}
		spHTTP.Transport = auth.NewTransport(base, src, origin)
	}
	red.Add(c.ClientSecret, c.RefreshToken, c.AccessToken, c.ProxyPassword, c.CertificatePassword)
	if c.ProxyUser != "" {
		// What a proxy that echoes Proxy-Authorization would show.
		red.Add(redact.BasicCredential(c.ProxyUser, c.ProxyPassword))
	}
	spOpts := []sharepoint.Option{
		sharepoint.WithTimeout(c.Timeout),
		sharepoint.WithRetries(c.RetryCount),
		sharepoint.WithPageSize(c.FetchSize),
		sharepoint.WithLogger(logger),
		sharepoint.WithRedactor(red),
		sharepoint.WithUserAgent("NONISV|go-spsql|spsql/" + Version),
		sharepoint.WithAppOnly(appOnly),
	}
	// One pacer per application and tenant in the process (see
	// sharepoint.SharedPacer), let go of by Close.
	releasePacer := func() {}
	if !c.NoPacing {
		var p *sharepoint.Pacer
		p, releasePacer = sharepoint.SharedPacer(c.TokenURI, c.ServiceURL, c.ClientID)
		spOpts = append(spOpts, sharepoint.WithPacer(p))
	}
	client, err := sharepoint.NewClient(c.ServiceURL, spHTTP, spOpts...)
	if err != nil {
		releasePacer()
		if own != nil {
			own.Close()
		}
		return nil, fmt.Errorf("spsql: %w", err)
	}
	conn := &Connector{driver: d, cfg: c, logger: logger, client: client, tokens: own, releasePacer: releasePacer}
	if o.httpClient == nil {
		conn.idle, _ = base.(interface{ CloseIdleConnections() })
	}
	return conn, nil
}

// newRefreshTokenSource builds the refresh-token grant from the
// configuration. The token endpoint gets its own client over the same base
// transport (so proxies apply) with a timeout, never a query's context.
func newRefreshTokenSource(c *Config, base http.RoundTripper, store auth.RefreshTokenStore, logger *slog.Logger, red auth.Redactor) (*auth.RefreshTokenSource, error) {
	if store == nil && c.TokenCacheFile != "" {
		store = auth.NewFileStore(c.TokenCacheFile)
	}
	src, err := auth.NewRefreshTokenSource(auth.Config{
		TokenURL:     c.TokenURI,
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		RefreshToken: c.RefreshToken,
		AccessToken:  c.AccessToken,
		Scopes:       c.Scopes(),
		Resource:     c.Resource(),
		HTTPClient:   &http.Client{Transport: base, Timeout: c.tokenRequestTimeout()},
		LoginTimeout: c.LoginTimeout,
		Store:        store,
		Logger:       logger,
		Redactor:     red,
	})
	if err != nil {
		return nil, fmt.Errorf("spsql: %w", err)
	}
	return src, nil
}

// tokenRequestTimeout bounds one token request: the shorter of WSTimeout
// and LoginTimeout.
func (c *Config) tokenRequestTimeout() time.Duration {
	timeout := c.Timeout
	if timeout == 0 || (c.LoginTimeout > 0 && c.LoginTimeout < timeout) {
		timeout = c.LoginTimeout
	}
	return timeout
}

// baseTransport is the transport under authentication: the program's own
// (WithHTTPClient), or a clone of http.DefaultTransport with the Proxy*
// properties or, without them, the HTTPS_PROXY/NO_PROXY environment.
func baseTransport(c *Config, client *http.Client) (http.RoundTripper, error) {
	if client != nil {
		if c.ProxyHost != "" {
			return nil, errors.New("spsql: ProxyHost cannot be combined with WithHTTPClient: configure the proxy on the client's transport")
		}
		if client.Transport != nil {
			return client.Transport, nil
		}
		return http.DefaultTransport, nil
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	if c.ProxyHost != "" {
		proxy, err := c.proxyURL()
		if err != nil {
			return nil, err
		}
		t.Proxy = http.ProxyURL(proxy)
	}
	return t, nil
}

// String describes the connector by its configuration, secrets shown as
// "***". Without it, printing a *Connector would show the unexported
// configuration's fields, secrets included.
func (c *Connector) String() string { return "spsql.Connector{" + c.cfg.String() + "}" }

// GoString makes %#v as safe as %v.
func (c *Connector) GoString() string { return c.String() }

// LogValue implements slog.LogValuer with secrets shown as "***".
func (c *Connector) LogValue() slog.Value { return c.cfg.LogValue() }

// Close stops the connector's background work and releases its idle HTTP
// connections. database/sql calls it from DB.Close.
func (c *Connector) Close() error {
	err := c.client.Close() // ends metadata fetches still running
	if c.releasePacer != nil {
		c.releasePacer()
	}
	if c.tokens != nil {
		if cerr := c.tokens.Close(); err == nil {
			err = cerr
		}
	}
	if c.idle != nil {
		c.idle.CloseIdleConnections()
	}
	return err
}

// Connect returns a connection. It does no I/O: SharePoint's REST API is
// stateless, so a connection is cheap, and authentication happens on the
// first request (or Ping).
func (c *Connector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &conn{connector: c}, nil
}

// Driver returns the driver that made the connector.
func (c *Connector) Driver() driver.Driver { return c.driver }

// Config returns a copy of the connector's validated configuration.
func (c *Connector) Config() *Config {
	cfg := c.cfg
	return &cfg
}

var (
	_ driver.Connector = (*Connector)(nil)
	_ io.Closer        = (*Connector)(nil)
	_ slog.LogValuer   = (*Connector)(nil)
)

// SharePoint returns the connector's SharePoint REST client: the HTTP
// client, token source and metadata cache its connections use. It is for
// tools that need what SQL cannot say — the conformance kit creates and
// deletes its scratch lists through it; ReadOnly does not apply to it.
func (c *Connector) SharePoint() *sharepoint.Client { return c.client }
