package main

import (
	"context"
	"fmt"
)

// login obtains a refresh token; see issue 5 (in progress).
func (c *cli) login(ctx context.Context, args []string) int {
	fmt.Fprintln(c.stderr, "spsql: login is not available yet")
	return exitUsage
}
