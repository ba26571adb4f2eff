package sharepoint

import (
	"context"
	"fmt"
)

// ItemCount reads the ItemCount of the list titled list now, bypassing
// the metadata cache (whose lists may be minutes old): one small request.
// ItemCount counts every item of the list, folders included. A list that
// does not exist gives an error matching ErrListNotFound.
func (c *Client) ItemCount(ctx context.Context, list string) (int64, error) {
	var l struct{ ItemCount int64 }
	if err := c.getJSON(ctx, ListPath(list)+"?$select=ItemCount", &l); err != nil {
		return 0, fmt.Errorf("sharepoint: reading the ItemCount of list %q: %w", list, err)
	}
	return l.ItemCount, nil
}
