package spsql

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-spsql/spsql/internal/engine"
	"github.com/go-spsql/spsql/internal/suggest"
	"github.com/go-spsql/spsql/sharepoint"
)

// source is the query engine's view of the site: the connector's
// SharePoint client, with errors put in the driver's terms.
type source struct{ c *conn }

func (c *conn) source() engine.Source { return source{c} }

func (s source) Lists(ctx context.Context) ([]sharepoint.List, error) {
	lists, err := s.c.connector.client.Lists(ctx)
	if err != nil {
		return nil, s.c.siteError(ctx, err)
	}
	return lists, nil
}

func (s source) Fields(ctx context.Context, list string) ([]sharepoint.Field, error) {
	fields, err := s.c.connector.client.Fields(ctx, list)
	if err != nil {
		return nil, s.c.listError(ctx, list, err)
	}
	return fields, nil
}

func (s source) Invalidate(list string) { s.c.connector.client.Invalidate(list) }

// ItemCount reads the list's ItemCount now: a whole-list COUNT(*) must
// see other clients' writes, which the cached lists do not.
func (s source) ItemCount(ctx context.Context, list string) (int64, error) {
	n, err := s.c.connector.client.ItemCount(ctx, list)
	if err != nil {
		return 0, s.c.listError(ctx, list, err)
	}
	return n, nil
}

func (s source) Items(ctx context.Context, list string, q sharepoint.Query) (engine.Rows, error) {
	it, err := s.c.connector.client.Items(ctx, list, q)
	if err != nil {
		return nil, s.c.listError(ctx, list, err)
	}
	return it, nil // the client's stream is the engine's: no adapter
}

// listError explains a missing list in the driver's terms: the site's
// list closest to the name, if one is close, instead of the failed
// request's URL (the SharePoint error stays in the chain for errors.Is
// and errors.As). Any other 404 may mean ServiceURL is no site (siteError).
func (c *conn) listError(ctx context.Context, list string, err error) error {
	var nf *listNotFoundError
	if errors.As(err, &nf) {
		return err
	}
	if !errors.Is(err, sharepoint.ErrListNotFound) {
		return c.siteError(ctx, err)
	}
	hint := "SHOW TABLES lists the lists"
	if near := c.nearestList(ctx, list); near != "" {
		hint = fmt.Sprintf("did you mean %q? SHOW TABLES lists the lists", near)
	}
	return &listNotFoundError{
		msg: fmt.Sprintf("spsql: list %q does not exist at %s (%s)", list, c.connector.cfg.ServiceURL, hint),
		err: err,
	}
}

// listNotFoundError is a missing list explained; it wraps SharePoint's
// answer without repeating it.
type listNotFoundError struct {
	msg string
	err error
}

func (e *listNotFoundError) Error() string { return e.msg }
func (e *listNotFoundError) Unwrap() error { return e.err }

// nearestList returns the title of the site's list closest to name by
// edit distance, or "" when none is close or the lists cannot be read.
func (c *conn) nearestList(ctx context.Context, name string) string {
	lists, err := c.connector.client.Lists(ctx)
	if err != nil {
		return ""
	}
	best, bestDist := "", 0
	lname := strings.ToLower(name)
	for _, l := range lists {
		d := suggest.Distance(lname, strings.ToLower(l.Title))
		if best == "" || d < bestDist {
			best, bestDist = l.Title, d
		}
	}
	if best != "" && bestDist <= suggest.MaxDistance(name) {
		return best
	}
	return ""
}

// siteError explains a 404 that is not a missing list: SharePoint answers
// 404 to every request under a path that is not a site (the path
// ServiceURL gives), so if <ServiceURL>/_api/web is a 404 too, ServiceURL
// is wrong, and the user is told so instead of seeing the request's URL.
func (c *conn) siteError(ctx context.Context, err error) error {
	var spErr *sharepoint.Error
	if !errors.As(err, &spErr) || spErr.StatusCode != http.StatusNotFound || errors.Is(err, sharepoint.ErrListNotFound) {
		return err
	}
	var se *siteNotFoundError
	if errors.As(err, &se) {
		return err
	}
	if _, webErr := c.connector.client.Web(ctx); !errors.As(webErr, &spErr) || spErr.StatusCode != http.StatusNotFound {
		return err
	}
	return &siteNotFoundError{
		msg: fmt.Sprintf("spsql: ServiceURL %s is not a SharePoint site (%s/_api/web answers 404 Not Found): set ServiceURL to the site's URL, e.g. https://contoso.sharepoint.com/sites/team", c.connector.cfg.ServiceURL, strings.TrimSuffix(c.connector.cfg.ServiceURL, "/")),
		err: err,
	}
}

// siteNotFoundError is a ServiceURL that names no site; it wraps the
// failed request's answer.
type siteNotFoundError struct {
	msg string
	err error
}

func (e *siteNotFoundError) Error() string { return e.msg }
func (e *siteNotFoundError) Unwrap() error { return e.err }
