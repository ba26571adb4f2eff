package spsql

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-spsql/spsql/auth"
)

// newClientCertificateSource builds the client-credentials grant with a
// certificate (AuthenticationMethod=OAuth2ClientCertificate) from the
// configuration: it reads CertificateFile, whose key signs a new client
// assertion for every token request. Like the refresh-token grant, the
// token endpoint gets its own client over the same base transport.
func newClientCertificateSource(c *Config, base http.RoundTripper, logger *slog.Logger, red auth.Redactor) (*auth.RefreshTokenSource, error) {
	cert, err := auth.LoadClientCertificate(c.CertificateFile, c.CertificatePassword)
	if err != nil {
		return nil, fmt.Errorf("spsql: %w", err)
	}
	src, err := auth.NewRefreshTokenSource(auth.Config{
		TokenURL:          c.TokenURI,
		ClientID:          c.ClientID,
		ClientCertificate: cert,
		Scopes:            c.Scopes(),
		Resource:          c.Resource(),
		HTTPClient:        &http.Client{Transport: base, Timeout: c.tokenRequestTimeout()},
		LoginTimeout:      c.LoginTimeout,
		Logger:            logger,
		Redactor:          red,
	})
	if err != nil {
		return nil, fmt.Errorf("spsql: %w", err)
	}
	return src, nil
}
