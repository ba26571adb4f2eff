package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/internal/conformance"
)

const conformanceUsage = `Usage: spsql conformance [flags]

Checks that spsql works on a site: creates scratch lists named
spsql-conformance-<random>, writes rows through the driver, reads them back
through every read path, compares, and deletes the lists again (also after
a failure or Ctrl-C). Prints one line per check, then
"conformance: N passed, M failed, K skipped"; exits 0 only when none failed.
The account needs permission to create and delete lists (Edit, or Manage
Lists, on the site).

Connection (one of): --dsn STRING, --dsn-file FILE, --odbc-dsn NAME, SPSQL_DSN,
or --demo (the in-process emulator, to see what the kit does)

  --large          also fill a list past 5,000 items (the view threshold)
  --record DIR     write every HTTP exchange to DIR, secrets and the tenant's
                   host names scrubbed, to attach to a bug report
  --cleanup        only delete lists left over by earlier runs
                   (titles starting with spsql-conformance-)
`

// conformance runs `spsql conformance`.
func (c *cli) conformance(ctx context.Context, args []string) int {
	o := &options{}
	var record string
	var large, cleanup bool
	fs := flag.NewFlagSet("spsql conformance", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.demo, "demo", false, "")
	fs.StringVar(&o.dsn, "dsn", "", "")
	fs.StringVar(&o.dsnFile, "dsn-file", "", "")
	fs.StringVar(&o.odbcDSN, "odbc-dsn", "", "")
	fs.StringVar(&record, "record", "", "")
	fs.BoolVar(&large, "large", false, "")
	fs.BoolVar(&cleanup, "cleanup", false, "")
	var extra []string
	if err := parseInterspersed(fs, args, func(a string) { extra = append(extra, a) }); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(c.stdout, conformanceUsage)
			return exitOK
		}
		fmt.Fprintf(c.stderr, "spsql: %v\n(see spsql conformance --help)\n", err)
		return exitUsage
	}
	if len(extra) > 0 {
		fmt.Fprintf(c.stderr, "spsql: conformance takes no arguments, got %q\n", extra[0])
		return exitUsage
	}
	dsn, done, err := connectionString(o)
	if err != nil {
		fmt.Fprintf(c.stderr, "spsql: %v\n", err)
		return exitUsage
	}
	defer done()
	cfg, err := spsql.ParseDSN(dsn)
	if err != nil {
		fmt.Fprintln(c.stderr, errorText(err))
		return exitError
	}
	var opts []spsql.Option
	// One HTTP client and one logger for both connectors below, so that
	// they share one token source through the token cache file.
	hc := &http.Client{}
	opts = append(opts, spsql.WithLogger(slog.New(slog.DiscardHandler)))
	if record != "" {
		base := http.DefaultTransport
		rec, err := conformance.NewRecorder(record, base,
			[]string{cfg.ClientSecret, cfg.RefreshToken, cfg.AccessToken, cfg.ProxyPassword}, cfg.ServiceURL, cfg.TokenURI)
		if err != nil {
			fmt.Fprintln(c.stderr, errorText(err))
			return exitError
		}
		hc.Transport = rec
		defer func() { fmt.Fprintf(c.stderr, "spsql: recorded %d exchanges in %s\n", rec.Count(), record) }()
	}
	if record != "" || cfg.ProxyHost == "" {
		opts = append(opts, spsql.WithHTTPClient(hc))
	}
	if cfg.TokenCacheFile == "" && cfg.AuthenticationMethod != spsql.AuthNone && cfg.AuthenticationMethod != spsql.AuthClientCertificate {
		// A private cache file lets the second connector (small pages)
		// share the first one's token source instead of redeeming the
		// same refresh token again. A certificate has no refresh token
		// (and the DSN refuses a TokenCacheFile with it): each connector
		// obtains its own tokens.
		tmp, err := os.MkdirTemp("", "spsql-conformance-")
		if err != nil {
			fmt.Fprintln(c.stderr, errorText(err))
			return exitError
		}
		defer os.RemoveAll(tmp)
		cfg.TokenCacheFile = filepath.Join(tmp, "tokens")
	}
	conn, err := spsql.NewConnector(cfg, opts...)
	if err != nil {
		fmt.Fprintln(c.stderr, errorText(err))
		return exitError
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	schema := conn.(*spsql.Connector).SharePoint()

	if cleanup {
		err := c.withInterrupts(ctx, func(ctx context.Context) error {
			_, err := conformance.Cleanup(ctx, schema, "", c.stdout)
			return err
		})
		if err != nil {
			fmt.Fprintln(c.stderr, errorText(err))
			return exitError
		}
		return exitOK
	}
	// Connections with other page sizes, sharing the token source.
	open := func(fetchSize int) (*sql.DB, error) {
		other := *cfg
		other.FetchSize = fetchSize
		conn, err := spsql.NewConnector(&other, opts...)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(conn), nil
	}

	var res conformance.Result
	err = c.withInterrupts(ctx, func(ctx context.Context) error {
		var err error
		res, err = conformance.Run(ctx, conformance.Config{DB: db, Open: open, Schema: schema, Out: c.stdout, Large: large})
		return err
	})
	if errors.Is(err, errCancelled) {
		fmt.Fprintln(c.stderr, "spsql: conformance cancelled; the line cleanup/delete-scratch-lists above says whether its lists were deleted")
		return exitError
	}
	if err != nil {
		fmt.Fprintln(c.stderr, errorText(err))
		return exitError
	}
	if !res.OK() {
		return exitError
	}
	return exitOK
}
