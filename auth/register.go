package auth

import (
	"context"

	"golang.org/x/oauth2"
)

// RegisterTokens returns a token source that hands out src's tokens and
// tells red each access token first, so that a server echoing it (in an
// error body, say) has it removed from the error. For tokens from a source
// this package did not make; a RefreshTokenSource registers its own (see
// Config.Redactor). The result is an Invalidator when src is, and stops
// waiting when a request's context ends as NewTransport expects.
func RegisterTokens(src oauth2.TokenSource, red Redactor) oauth2.TokenSource {
	r := registering{src: src, red: red}
	if inv, ok := src.(Invalidator); ok {
		return registeringInvalidator{registering: r, inv: inv}
	}
	return r
}

type registering struct {
	src oauth2.TokenSource
	red Redactor
}

func (r registering) Token() (*oauth2.Token, error) {
	return r.register(r.src.Token())
}

// TokenContext lets the transport's wait for a token end with the request,
// as it would with src itself.
func (r registering) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	return r.register(tokenContext(ctx, r.src))
}

func (r registering) register(tok *oauth2.Token, err error) (*oauth2.Token, error) {
	if tok != nil {
		r.red.AddIssued(tok.AccessToken)
	}
	return tok, err
}

type registeringInvalidator struct {
	registering
	inv Invalidator
}

func (r registeringInvalidator) Invalidate(rejected *oauth2.Token) { r.inv.Invalidate(rejected) }
