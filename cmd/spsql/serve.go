package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

const serveUsage = `Usage: spsql serve [flags]

Runs the emulator of SharePoint Online and Entra ID that --demo uses as a
server, for other programs (a second spsql, curl, a script) and for trying
spsql login, until interrupted (Ctrl-C or SIGTERM). The first line of
standard output is a connection string for it (with --app-only, the
app-only one), good run after run (a refresh token stays valid once
rotated, as with Entra ID); how to sign in with a device code follows on
standard error.

  --site FILE.json     the site to serve, declared in JSON (see package
                       sharepoint/sptest, ParseSite); default the demo site
  --addr HOST:PORT     where to listen: a loopback address, as the driver
                       accepts plain http only there; default 127.0.0.1 and
                       a free port
  --app-only           app-only access, as an unattended job has it: create a
                       test certificate, register it on the emulator's
                       application, write it with its private key to
                       DIR/app.pem (mode 0600), and print on standard output
                       an app-only connection string instead:
                         ServiceURL=…;AuthenticationMethod=OAuth2ClientCertificate;
                         ClientID=…;TokenURI=…;CertificateFile=DIR/app.pem
  --cert-dir DIR       where --app-only writes app.pem (kept on exit);
                       default a new temporary directory, removed on exit
  -v, --verbose        log each request (method, path, status) on standard error
  -h, --help           print this help

Example:
  spsql serve > dsn.txt &
  spsql --dsn-file dsn.txt -c "SHOW TABLES"
  spsql serve --app-only > job.dsn &     # as a job without login would
  spsql --dsn-file job.dsn -c "SELECT COUNT(*) FROM Tasks"
`

// servePublicClientID is a public client (no secret) that spsql serve
// registers besides the server's confidential one, so that spsql login can
// sign in against it as a native app would.
const servePublicClientID = "5ea1b1e0-5e5e-4c0d-9a11-5b7e57000002"

// serveOptions are the parsed flags of spsql serve.
type serveOptions struct {
	site, addr string
	verbose    bool
	appOnly    bool   // --app-only: print an app-only connection string
	certDir    string // --cert-dir: where --app-only writes the certificate
}

func parseServeArgs(args []string, stdout io.Writer) (*serveOptions, error) {
	o := &serveOptions{}
	fs := flag.NewFlagSet("spsql serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.site, "site", "", "")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:0", "")
	fs.BoolVar(&o.verbose, "v", false, "")
	fs.BoolVar(&o.verbose, "verbose", false, "")
	fs.BoolVar(&o.appOnly, "app-only", false, "")
	fs.StringVar(&o.certDir, "cert-dir", "", "")
	var extra []string
	if err := parseInterspersed(fs, args, func(a string) { extra = append(extra, a) }); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, serveUsage)
		}
		return nil, err
	}
	if len(extra) > 0 {
		return nil, fmt.Errorf("serve takes no arguments, got %q", extra[0])
	}
	if o.certDir != "" && !o.appOnly {
		return nil, errors.New("--cert-dir is where --app-only writes its certificate: add --app-only")
	}
	return o, nil
}

// serve is spsql serve: it runs an sptest.Server until SIGINT, SIGTERM or
// the end of ctx, and exits 0 then.
func (c *cli) serve(ctx context.Context, args []string) int {
	o, err := parseServeArgs(args, c.stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "spsql: %v\n(see spsql serve --help)\n", err)
		return exitUsage
	}
	site, what := sptest.DemoSite(), "the demo site"
	if o.site != "" {
		if site, err = sptest.LoadSite(o.site); err != nil {
			fmt.Fprintf(c.stderr, "spsql: --site: %v\n", err)
			return exitUsage
		}
		what = "the site of " + o.site
	}
	l, err := listenLoopback(o.addr)
	if err != nil {
		fmt.Fprintf(c.stderr, "spsql: --addr: %v\n", err)
		return exitUsage
	}
	opts := []sptest.Option{sptest.WithListener(l)}
	if o.verbose {
		// sptest logs method, path and status; never tokens, queries or forms.
		h := slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
		opts = append(opts, sptest.WithLogger(slog.New(h)))
	}
	srv := sptest.NewServer(site, opts...)
	defer srv.Close()
	srv.Tokens.AddClient(servePublicClientID, "")
	// The emulator's default: a refresh token stays valid after it was
	// rotated away, as with Entra ID (docs/sharepoint.md §12.5), so the
	// printed connection string works run after run, for spsql and for
	// tools that keep no token cache. Said here because serve relies on it.
	srv.Tokens.SetReuseDetection(false)
	dsn := srv.ConnString()
	if o.appOnly {
		appDSN, certPath, cleanup, err := setUpAppOnly(srv, o.certDir)
		if err != nil {
			fmt.Fprintf(c.stderr, "spsql: %v\n", err)
			return exitError
		}
		defer cleanup()
		dsn = appDSN
		fmt.Fprintf(c.stderr, "spsql serve: app-only access: the certificate and its private key are in %s, registered on the application %s\n", certPath, srv.ClientID)
	}

	// The connection string first, alone on its line, for scripts to read.
	fmt.Fprintln(c.stdout, dsn)
	fmt.Fprintf(c.stderr, `spsql serve: %s at %s (Ctrl-C stops)
Connect with the connection string printed on standard output:
  spsql --dsn '<that line>'
Sign in with a device code as against Entra ID (a public client):
  spsql login --token-uri %s --client-id %s --service-url %s
then open %s
and enter the code that spsql login shows (or: curl -d user_code=CODE that address).
`, what, srv.ServiceURL(), srv.TokenURL(), servePublicClientID, srv.ServiceURL(),
		srv.URL+"/"+sptest.TenantID+"/oauth2/v2.0/devicelogin")

	var term chan os.Signal
	if c.interrupts != nil { // a real process, not an in-process test
		term = make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		defer signal.Stop(term)
	}
	select {
	case <-c.interrupts:
	case <-term:
	case <-ctx.Done():
	}
	fmt.Fprintln(c.stderr, "spsql serve: stopped")
	return exitOK
}

// listenLoopback listens on addr, which must be a loopback address: the
// emulator serves plain http, which the driver accepts only on loopback,
// and it hands out tokens to whoever asks.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%s is not a loopback address: give 127.0.0.1:PORT, [::1]:PORT or localhost:PORT", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if tcp, ok := l.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		l.Close()
		return nil, fmt.Errorf("%s is not a loopback address: give 127.0.0.1:PORT, [::1]:PORT or localhost:PORT", addr)
	}
	return l, nil
}
