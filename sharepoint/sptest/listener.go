package sptest

import "net"

// WithListener makes the server serve on l, which it closes on Close,
// instead of a new listener on 127.0.0.1 and an ephemeral port: for a
// server at a chosen address, such as "spsql serve --addr". URL is then
// "http://" (or "https://") and l's address, so l should listen on a
// loopback address: the driver accepts plain http only there.
func WithListener(l net.Listener) Option { return func(c *config) { c.listener = l } }
