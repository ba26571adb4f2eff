package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	"unicode"

	"golang.org/x/oauth2"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/internal/redact"
)

const loginUsage = `Usage: spsql login [flags]

Signs in to Microsoft Entra ID and prints a connection string holding a
refresh token, or writes it into an odbc.ini data source. By default it uses
the device code flow: open the page it shows, on any device, and enter the
code. --auth-code signs in with a browser on this machine instead.

Where to sign in (one of):
  --tenant TENANT         the directory: its ID, or a domain such as contoso.onmicrosoft.com
  --token-uri URL         the v2.0 token endpoint, e.g. for a national cloud;
                          --device-uri and --auth-uri default to its siblings

The application (an app registration with delegated SharePoint permissions):
  --client-id ID          its application (client) ID (required)
  --client-secret-file F  read its client secret from F (confidential apps)
  SPSQL_CLIENT_SECRET     its client secret, from the environment
  --client-secret S       its client secret; avoid: it lands in shell history
                          and process lists
  (no secret: a public client, "Allow public client flows" in Entra)

What to ask for:
  --service-url URL       the SharePoint site, e.g. https://contoso.sharepoint.com/sites/team (required)
  --scope "S ..."         scopes; default "https://<site host>/.default offline_access"

How:
  --auth-code             the authorization code flow with PKCE, redirected to this machine
  --redirect-uri URI      for --auth-code: the registered loopback redirect URI
                          (default http://localhost; without a port, a free one is used)
  --no-browser            for --auth-code: print the sign-in address, don't open a browser
  --device-uri URL, --auth-uri URL   the device code and authorization endpoints

Output:
  --show-secrets          print the client secret and refresh token instead of ***
  --write-odbc-ini PATH   write the connection into PATH (created or updated, mode 0600),
                          with a TokenCacheFile in the user's config directory
                          (spsql/tokens/) where rotated refresh tokens are kept
  --section NAME          the data source to write, used as: spsql --odbc-dsn NAME

Example:
  spsql login --tenant contoso.onmicrosoft.com --client-id 00000000-… \
    --client-secret-file ~/.spsql-secret --service-url https://contoso.sharepoint.com/sites/team \
    --write-odbc-ini ~/.odbc.ini --section Team
`

// loginTimeout bounds a whole sign-in: longer than Entra's 15 minutes for
// a device code, so that its own expiry is what the user sees.
const loginTimeout = 20 * time.Minute

// loginOptions are the parsed flags of spsql login.
type loginOptions struct {
	tenant, tokenURI, deviceURI, authURI string
	clientID, clientSecret, secretFile   string
	serviceURL, scope                    string
	authCode, noBrowser, showSecrets     bool
	redirectURI                          string
	iniPath, section                     string
}

func parseLoginArgs(args []string, stdout io.Writer) (*loginOptions, error) {
	o := &loginOptions{}
	fs := flag.NewFlagSet("spsql login", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.tenant, "tenant", "", "")
	fs.StringVar(&o.tokenURI, "token-uri", "", "")
	fs.StringVar(&o.deviceURI, "device-uri", "", "")
	fs.StringVar(&o.authURI, "auth-uri", "", "")
	fs.StringVar(&o.clientID, "client-id", "", "")
	fs.StringVar(&o.clientSecret, "client-secret", "", "")
	fs.StringVar(&o.secretFile, "client-secret-file", "", "")
	fs.StringVar(&o.serviceURL, "service-url", "", "")
	fs.StringVar(&o.scope, "scope", "", "")
	fs.BoolVar(&o.authCode, "auth-code", false, "")
	fs.StringVar(&o.redirectURI, "redirect-uri", "http://localhost", "")
	fs.BoolVar(&o.noBrowser, "no-browser", false, "")
	fs.BoolVar(&o.showSecrets, "show-secrets", false, "")
	fs.StringVar(&o.iniPath, "write-odbc-ini", "", "")
	fs.StringVar(&o.section, "section", "", "")
	var extra []string
	if err := parseInterspersed(fs, args, func(a string) { extra = append(extra, a) }); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, loginUsage)
		}
		return nil, err
	}
	switch {
	case len(extra) > 0:
		return nil, fmt.Errorf("login takes no arguments, got %q", extra[0])
	case o.clientID == "":
		return nil, errors.New("login needs --client-id")
	case o.serviceURL == "":
		return nil, errors.New("login needs --service-url (the SharePoint site)")
	case o.tenant == "" && o.tokenURI == "":
		return nil, errors.New("login needs --tenant or --token-uri")
	case o.tenant != "" && o.tokenURI != "":
		return nil, errors.New("give --tenant or --token-uri, not both")
	case o.clientSecret != "" && o.secretFile != "":
		return nil, errors.New("give --client-secret or --client-secret-file, not both")
	case (o.iniPath == "") != (o.section == ""):
		return nil, errors.New("--write-odbc-ini and --section go together")
	}
	if o.tenant != "" {
		if strings.ContainsAny(o.tenant, "/?#") {
			return nil, fmt.Errorf("--tenant %q: give a directory ID or domain, not a URL", o.tenant)
		}
		base := "https://login.microsoftonline.com/" + url.PathEscape(o.tenant) + "/oauth2/v2.0/"
		o.tokenURI = base + "token"
	}
	// The v2.0 endpoints are siblings: …/token, …/devicecode, …/authorize.
	if base, ok := strings.CutSuffix(o.tokenURI, "/oauth2/v2.0/token"); ok {
		if o.deviceURI == "" {
			o.deviceURI = base + "/oauth2/v2.0/devicecode"
		}
		if o.authURI == "" {
			o.authURI = base + "/oauth2/v2.0/authorize"
		}
	}
	if o.authCode && o.authURI == "" {
		return nil, errors.New("--auth-code needs --auth-uri when --token-uri is not a …/oauth2/v2.0/token address")
	}
	if !o.authCode && o.deviceURI == "" {
		return nil, errors.New("the device code flow needs --device-uri when --token-uri is not a …/oauth2/v2.0/token address")
	}
	return o, nil
}

// secret returns the client secret from the flag, the file or the
// environment; "" for a public client.
func (o *loginOptions) secret() (string, error) {
	switch {
	case o.clientSecret != "":
		return o.clientSecret, nil
	case o.secretFile != "":
		b, err := os.ReadFile(o.secretFile)
		if err != nil {
			return "", fmt.Errorf("--client-secret-file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return os.Getenv("SPSQL_CLIENT_SECRET"), nil
}

// login is "spsql login": sign in, then print or store the connection.
func (c *cli) login(ctx context.Context, args []string) int {
	o, err := parseLoginArgs(args, c.stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "spsql: %v\n(see spsql login --help)\n", err)
		return exitUsage
	}
	secret, err := o.secret()
	if err != nil {
		fmt.Fprintf(c.stderr, "spsql: %v\n", err)
		return exitUsage
	}
	// The connection the token is for, checked as the driver will check it
	// before anyone signs in: a typo in --service-url should not cost a
	// sign-in.
	conn := spsql.NewConfig()
	conn.ServiceURL = o.serviceURL
	conn.ClientID = o.clientID
	conn.ClientSecret = secret
	conn.TokenURI = o.tokenURI
	conn.Scope = o.scope
	conn.RefreshToken = "pending"
	if _, err := spsql.ParseDSN(conn.FormatDSN()); err != nil {
		fmt.Fprintln(c.stderr, errorText(err))
		return exitUsage
	}

	cfg := &oauth2.Config{
		ClientID:     o.clientID,
		ClientSecret: secret,
		Endpoint: oauth2.Endpoint{
			AuthURL:       o.authURI,
			TokenURL:      o.tokenURI,
			DeviceAuthURL: o.deviceURI,
			// Entra accepts both, but auto-detection costs a failed request
			// first (docs/sharepoint.md §13).
			AuthStyle: oauth2.AuthStyleInParams,
		},
		Scopes: conn.Scopes(),
	}
	ctx, cancel := context.WithTimeout(ctx, loginTimeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: time.Minute})
	var tok *oauth2.Token
	err = c.withInterrupts(ctx, func(ctx context.Context) (err error) {
		if o.authCode {
			tok, err = c.authCodeLogin(ctx, cfg, o)
		} else {
			tok, err = c.deviceCodeLogin(ctx, cfg)
		}
		return err
	})
	switch {
	case errors.Is(err, errCancelled):
		fmt.Fprintln(c.stderr, "spsql: login cancelled")
		return exitError
	case err != nil:
		// Entra's description is server text: a gateway may quote the
		// posted form, client secret and device code included.
		secrets := redact.New()
		secrets.Add(secret)
		fmt.Fprintf(c.stderr, "spsql: login failed: %s\n", secrets.Redact(signInError(err)))
		return exitError
	case tok.RefreshToken == "":
		fmt.Fprintln(c.stderr, "spsql: login failed: Entra ID returned no refresh token; the scope must include offline_access")
		return exitError
	}
	conn.RefreshToken = tok.RefreshToken

	if o.iniPath != "" {
		cache, err := tokenCachePath(o.section)
		if err == nil {
			// The cache file holds the new token's chain from the start, so
			// it exists, with mode 0600, before the first query rotates it.
			err = auth.NewFileStore(cache).Save(auth.ChainKey(conn.RefreshToken), conn.RefreshToken)
		}
		if err != nil {
			fmt.Fprintf(c.stderr, "spsql: the token cache file for [%s]: %v\n", o.section, err)
			return exitError
		}
		conn.TokenCacheFile = cache
		set := []iniPair{{"ServiceURL", conn.ServiceURL}, {"ClientID", conn.ClientID}}
		drop := []string{"AccessToken"}
		for _, p := range []iniPair{{"ClientSecret", conn.ClientSecret}, {"TokenURI", conn.TokenURI}, {"RefreshToken", conn.RefreshToken}, {"Scope", conn.Scope}, {"TokenCacheFile", conn.TokenCacheFile}} {
			if p.value != "" {
				set = append(set, p)
			} else {
				drop = append(drop, p.key)
			}
		}
		if err := writeODBCSection(o.iniPath, o.section, set, drop); err != nil {
			fmt.Fprintf(c.stderr, "spsql: writing %s: %v\n", o.iniPath, err)
			return exitError
		}
		fmt.Fprintf(c.stderr, "Signed in. Wrote data source [%s] to %s.\nQuery it with: spsql --odbc-dsn %s\n", o.section, o.iniPath, shellQuote(o.section))
		return exitOK
	}
	fmt.Fprintln(c.stderr, "Signed in. The connection string:")
	if o.showSecrets {
		fmt.Fprintln(c.stdout, conn.FormatDSN())
	} else {
		fmt.Fprintln(c.stdout, conn.String())
		fmt.Fprintln(c.stderr, "(secrets shown as ***: use --show-secrets, or --write-odbc-ini to store them)")
	}
	return exitOK
}

// deviceCodeLogin runs the device authorization grant (RFC 8628).
func (c *cli) deviceCodeLogin(ctx context.Context, cfg *oauth2.Config) (*oauth2.Token, error) {
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c.stderr, "To sign in, open %s and enter the code %s\n", da.VerificationURI, da.UserCode)
	if !da.Expiry.IsZero() {
		fmt.Fprintf(c.stderr, "Waiting for the sign-in (the code expires in %d minutes; Ctrl-C to give up)…\n", int(time.Until(da.Expiry).Round(time.Minute).Minutes()))
	}
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, errors.New("the code expired before the sign-in was completed; run spsql login again")
	}
	return tok, err
}

// authCodeLogin runs the authorization code grant with PKCE (RFC 7636):
// the browser signs in and is redirected to a listener on this machine's
// loopback interface, which takes the code.
func (c *cli) authCodeLogin(ctx context.Context, cfg *oauth2.Config, o *loginOptions) (*oauth2.Token, error) {
	redirect, err := url.Parse(o.redirectURI)
	if err != nil || redirect.Scheme != "http" || !isLoopbackHost(redirect.Hostname()) {
		return nil, fmt.Errorf("--redirect-uri %q: must be an http://localhost or http://127.0.0.1 address", o.redirectURI)
	}
	// Listen on the IPv4 loopback even for "localhost": it is what browsers
	// reach first, and nothing off this machine can connect.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", redirect.Port()))
	if err != nil {
		return nil, fmt.Errorf("listening for the redirect: %w", err)
	}
	defer ln.Close()
	redirect.Host = net.JoinHostPort(redirect.Hostname(), fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
	if redirect.Path == "" {
		redirect.Path = "/"
	}
	cfg.RedirectURL = redirect.String()
	verifier := oauth2.GenerateVerifier()
	state := oauth2.GenerateVerifier()

	type result struct {
		code string
		err  error
	}
	results := make(chan result, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != redirect.Path || q.Get("state") != state {
			// Not our redirect (a favicon, a stale tab): ignore it.
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var res result
		if e := q.Get("error"); e != "" {
			res.err = fmt.Errorf("%s: %s", e, firstLine(q.Get("error_description")))
			fmt.Fprintf(w, "<!doctype html><title>spsql login</title><p>Sign-in failed: %s</p>\n", html.EscapeString(res.err.Error()))
		} else {
			res.code = q.Get("code")
			fmt.Fprint(w, "<!doctype html><title>spsql login</title><p>Signed in. You can close this window and return to spsql.</p>\n")
		}
		select {
		case results <- res:
		default: // a second redirect; the first one counts
		}
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
	fmt.Fprintf(c.stderr, "To sign in, open this address in a browser:\n\n  %s\n\nWaiting for the sign-in (Ctrl-C to give up)…\n", authURL)
	if !o.noBrowser {
		openBrowser(authURL)
	}
	var res result
	select {
	case res = <-results:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if res.err != nil {
		return nil, res.err
	}
	return cfg.Exchange(ctx, res.code, oauth2.VerifierOption(verifier))
}

// openBrowser asks the desktop to open u; failures are ignored, as the
// address is printed anyway.
func openBrowser(u string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if cmd.Start() == nil {
		go cmd.Wait() // reap it
	}
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// signInError describes a failed sign-in: Entra's error code and the first
// line of its description (the rest is trace IDs). Response bodies are
// never shown whole.
func signInError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode == "" {
			return fmt.Sprintf("the sign-in endpoint answered %s", re.Response.Status)
		}
		switch re.ErrorCode {
		case "authorization_declined", "access_denied":
			return "the sign-in was declined (" + re.ErrorCode + ")"
		case "expired_token":
			return "the code expired before the sign-in was completed; run spsql login again"
		}
		if d := firstLine(re.ErrorDescription); d != "" {
			return re.ErrorCode + ": " + d
		}
		return re.ErrorCode
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out waiting for the sign-in"
	}
	return err.Error()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// tokenCachePath is the TokenCacheFile that login writes into data source
// section: one file per section name, in the user's configuration
// directory (spsql/tokens/ under os.UserConfigDir, e.g. ~/.config on
// Linux). Each run's refresh rotates the refresh token and clients must
// use the newest (docs/sharepoint.md §12.5); the driver keeps it there, so
// the next run presents it rather than the one in odbc.ini, which an
// identity provider revoking used refresh tokens would refuse, and which
// Entra ID expires in time (90 days).
func tokenCachePath(section string) (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	var name strings.Builder
	for _, r := range section {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.') {
			name.WriteRune(r)
		} else {
			name.WriteByte('_')
		}
	}
	// Names that differ only in the characters replaced above get files
	// of their own.
	sum := sha256.Sum256([]byte(section))
	return filepath.Join(dir, "spsql", "tokens", fmt.Sprintf("%s-%x.json", strings.Trim(name.String(), "."), sum[:4])), nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
