package spsql

import "errors"

// checkClientCertificate validates the properties of
// AuthenticationMethod=OAuth2ClientCertificate (app-only access). The
// certificate file itself is read when the connector is built.
func (c *Config) checkClientCertificate(externalTokens bool) error {
	if externalTokens {
		return nil
	}
	var missing []string
	if c.ClientID == "" {
		missing = append(missing, "ClientID (the application's ID)")
	}
	if c.TokenURI == "" {
		missing = append(missing, "TokenURI (e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token)")
	}
	if c.CertificateFile == "" {
		missing = append(missing, "CertificateFile (the PEM or PKCS#12 file with the certificate and its private key)")
	}
	if len(missing) > 0 {
		msg := "spsql: AuthenticationMethod=OAuth2ClientCertificate needs "
		for i, m := range missing {
			if i > 0 {
				msg += ", "
			}
			msg += m
		}
		return errors.New(msg)
	}
	switch {
	case c.ClientSecret != "":
		return errors.New("spsql: AuthenticationMethod=OAuth2ClientCertificate does not use ClientSecret: SharePoint refuses app-only tokens obtained with a client secret (\"Unsupported app only token\"); remove ClientSecret and authenticate with the certificate")
	case c.RefreshToken != "" || c.AccessToken != "":
		return errors.New("spsql: AuthenticationMethod=OAuth2ClientCertificate does not use RefreshToken or AccessToken: remove them (the certificate obtains the tokens)")
	case c.TokenCacheFile != "":
		return errors.New("spsql: TokenCacheFile is for refresh tokens; AuthenticationMethod=OAuth2ClientCertificate has none to keep: remove it")
	}
	return nil
}
