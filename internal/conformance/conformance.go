// Package conformance is the kit behind `spsql conformance`: it proves the
// driver against a live site. It creates scratch lists named
// Prefix+<random> (one with a column of every type the driver writes, a
// lookup target, a list of 13 lookups), writes rows through the driver's
// SQL (single and multi-row INSERT, UPDATE, DELETE), reads them back
// through every read path the driver has and compares each answer with
// what it wrote, and deletes the lists again, also when a check fails or
// the context is cancelled. Each check prints one line; the last line is
// the summary "conformance: N passed, M failed, K skipped".
//
// The kit talks to the site through a *sql.DB opened with the driver, and
// creates and deletes its lists through the driver's SharePoint client
// (the driver has no CREATE TABLE).
package conformance

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
)

// DefaultPrefix starts the title of every list the kit creates.
const DefaultPrefix = "spsql-conformance-"

// Config is what a run needs.
type Config struct {
	// DB is opened with the driver on the site to test.
	DB *sql.DB
	// Open, if set, opens another *sql.DB on the same site with the given
	// FetchSize (page size), sharing DB's sign-in: for the paging checks
	// (pages of 2 items) and, with Large, the ID-sliced read (pages of
	// 500). Without it those checks are skipped. The kit closes what it
	// opens.
	Open func(fetchSize int) (*sql.DB, error)
	// Schema creates and deletes the scratch lists: the SharePoint client
	// of DB's connector (spsql.Connector.SharePoint).
	Schema *sharepoint.Client
	// Out receives one line per check and the summary.
	Out io.Writer
	// Large also fills a list past the 5,000-item view threshold and
	// checks the driver's fallback and ID-sliced reads (slow: about 60
	// requests to write, more to read).
	Large bool
	// LargeCount is how many items Large writes; 0 means 5,100.
	LargeCount int
	// Prefix starts the scratch lists' titles; DefaultPrefix when empty.
	Prefix string
}

// Result counts the checks of a run.
type Result struct {
	Passed, Failed, Skipped int
}

// OK reports that no check failed.
func (r Result) OK() bool { return r.Failed == 0 }

func (r Result) String() string {
	return fmt.Sprintf("conformance: %d passed, %d failed, %d skipped", r.Passed, r.Failed, r.Skipped)
}

// kit is one run.
type kit struct {
	cfg    Config
	db     *sql.DB
	out    io.Writer
	res    Result
	suffix string

	main, target, wide, large string // list titles
	created                   []string
	targetID                  string // target list GUID
	targetItems               []int64
	loc                       *time.Location
	userID                    int64
	rows                      map[int64]row
	dstChange, dstAutumn      time.Time
	opened                    []*sql.DB // by open, closed when the run ends
}

// open returns a DB with page size fetchSize from Config.Open; its error
// is a skipped check when there is no Open.
func (k *kit) open(fetchSize int) (*sql.DB, error) {
	if k.cfg.Open == nil {
		return nil, skipped("no way to open a connection with another FetchSize was given")
	}
	db, err := k.cfg.Open(fetchSize)
	if err != nil {
		return nil, fmt.Errorf("opening a connection with FetchSize %d: %w", fetchSize, err)
	}
	k.opened = append(k.opened, db)
	return db, nil
}

// Run runs every check and returns the counts. Its error is not a failed
// check (those are counted) but a run that could not go on: the scratch
// lists could not be created, or ctx ended. The lists it created are
// deleted before it returns in every case.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.DB == nil || cfg.Schema == nil {
		return Result{}, errors.New("spsql: conformance needs a DB and its SharePoint client")
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	k := &kit{cfg: cfg, db: cfg.DB, out: cfg.Out, suffix: randomSuffix(), rows: map[int64]row{}}
	base := cfg.Prefix + k.suffix
	k.main, k.target, k.wide, k.large = base, base+"-target", base+"-lookups", base+"-large"
	// The lists are deleted before the summary, also when ctx was
	// cancelled (Ctrl-C): with a context of their own.
	cleaned := false
	finish := func() {
		if !cleaned {
			cleaned = true
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			defer cancel()
			k.check("cleanup/delete-scratch-lists", func() error { return k.cleanup(cctx) })
		}
		fmt.Fprintln(k.out, k.res)
	}
	defer func() {
		for _, db := range k.opened {
			db.Close()
		}
	}()
	defer func() {
		if !cleaned { // a panic in a check
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			defer cancel()
			_ = k.cleanup(cctx)
		}
	}()
	if err := k.setup(ctx); err != nil {
		k.res.Failed++
		fmt.Fprintf(k.out, "FAIL setup: %v\n", err)
		finish()
		return k.res, err
	}
	for _, step := range []func(context.Context){k.writes, k.reads, k.wideLookups, k.schemaViews, k.largeList} {
		if err := ctx.Err(); err != nil {
			finish()
			return k.res, fmt.Errorf("spsql: conformance stopped: %w", err)
		}
		step(ctx)
	}
	finish()
	return k.res, ctx.Err()
}

// Cleanup deletes every list whose title starts with prefix
// (DefaultPrefix when empty), leftovers of runs that could not clean up.
// It returns the titles it deleted.
func Cleanup(ctx context.Context, schema *sharepoint.Client, prefix string, out io.Writer) ([]string, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if out == nil {
		out = io.Discard
	}
	schema.InvalidateItemCounts()
	lists, err := schema.Lists(ctx)
	if err != nil {
		return nil, err
	}
	var titles []string
	for _, l := range lists {
		if strings.HasPrefix(l.Title, prefix) {
			titles = append(titles, l.Title)
		}
	}
	// Lists holding lookups first: the targets after them.
	var deleted []string
	var errs []error
	for pass := 0; pass < 2; pass++ {
		for _, t := range titles {
			isTarget := strings.HasSuffix(t, "-target")
			if isTarget != (pass == 1) {
				continue
			}
			if err := schema.DeleteList(ctx, t); err != nil {
				errs = append(errs, err)
				fmt.Fprintf(out, "could not delete %q: %v\n", t, err)
				continue
			}
			fmt.Fprintf(out, "deleted %q\n", t)
			deleted = append(deleted, t)
		}
	}
	return deleted, errors.Join(errs...)
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cleanup deletes the lists this run created, lookups' holders first.
func (k *kit) cleanup(ctx context.Context) error {
	var errs []error
	for i := len(k.created) - 1; i >= 0; i-- {
		t := k.created[i]
		if err := k.cfg.Schema.DeleteList(ctx, t); err != nil && !errors.Is(err, sharepoint.ErrListNotFound) {
			errs = append(errs, fmt.Errorf("list %q: %w (run spsql conformance --cleanup)", t, err))
		}
	}
	k.created = nil
	return errors.Join(errs...)
}

// check runs one check and prints its line.
func (k *kit) check(name string, fn func() error) {
	err := fn()
	var skip skipped
	switch {
	case errors.As(err, &skip):
		k.res.Skipped++
		fmt.Fprintf(k.out, "skip %s: %s\n", name, string(skip))
	case err != nil:
		k.res.Failed++
		fmt.Fprintf(k.out, "FAIL %s: %v\n", name, err)
	default:
		k.res.Passed++
		fmt.Fprintf(k.out, "ok   %s\n", name)
	}
}

// skipped is a check that cannot run here, and why.
type skipped string

func (s skipped) Error() string { return string(s) }
