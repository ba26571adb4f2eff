package spsql

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-spsql/spsql/internal/engine"
	"github.com/go-spsql/spsql/sharepoint"
)

// source is the query engine's view of the site: the connector's
// SharePoint client, with errors put in the driver's terms.
type source struct{ c *conn }

func (c *conn) source() engine.Source { return source{c} }

func (s source) Lists(ctx context.Context) ([]sharepoint.List, error) {
	return s.c.connector.client.Lists(ctx)
}

func (s source) Fields(ctx context.Context, list string) ([]sharepoint.Field, error) {
	fields, err := s.c.connector.client.Fields(ctx, list)
	if err != nil {
		return nil, s.c.listError(list, err)
	}
	return fields, nil
}

func (s source) Invalidate(list string) { s.c.connector.client.Invalidate(list) }

// ItemCount reads the list's ItemCount now: a whole-list COUNT(*) must
// see other clients' writes, which the cached lists do not.
func (s source) ItemCount(ctx context.Context, list string) (int64, error) {
	n, err := s.c.connector.client.ItemCount(ctx, list)
	if err != nil {
		return 0, s.c.listError(list, err)
	}
	return n, nil
}

func (s source) Items(ctx context.Context, list string, q sharepoint.Query) (engine.Rows, error) {
	it, err := s.c.connector.client.Items(ctx, list, q)
	if err != nil {
		return nil, s.c.listError(list, err)
	}
	return it, nil // the client's stream is the engine's: no adapter
}

// listError explains a missing list in the driver's terms.
func (c *conn) listError(list string, err error) error {
	if errors.Is(err, sharepoint.ErrListNotFound) && !strings.Contains(err.Error(), "SHOW TABLES") {
		return fmt.Errorf("spsql: list %q does not exist at %s (SHOW TABLES lists the lists): %w", list, c.connector.cfg.ServiceURL, err)
	}
	return err
}
