package sharepoint

import (
	"net/http"
	"strings"
)

// WithAppOnly tells the client that its tokens are app-only (the
// client-credentials grant: no user), so that a 403 is explained as a
// missing application permission on the site rather than a user's.
func WithAppOnly(on bool) Option { return func(c *Client) { c.appOnly = on } }

// unsupportedAppOnly is the text SharePoint answers, with 401, to an
// app-only token obtained with a client secret (docs/sharepoint.md §12.8).
const unsupportedAppOnly = "unsupported app only token"

// UnsupportedAppOnlyToken reports SharePoint's refusal of an app-only
// token obtained with a client secret instead of a certificate.
func (e *Error) UnsupportedAppOnlyToken() bool {
	return e.StatusCode == http.StatusUnauthorized && strings.Contains(strings.ToLower(e.Message), unsupportedAppOnly)
}

// appOnlyHint says what to do about a refusal of an app-only token, or
// returns "" for any other error (docs/sharepoint.md §12.8).
func (e *Error) appOnlyHint() string {
	switch {
	case e.UnsupportedAppOnlyToken():
		return "; SharePoint accepts app-only tokens only from an application that authenticated with a certificate, not a client secret: register a certificate on the app and connect with AuthenticationMethod=OAuth2ClientCertificate and CertificateFile"
	case e.appOnly && e.StatusCode == http.StatusForbidden:
		return "; the application has no permission on this site: with the Sites.Selected permission an administrator must grant the app access to this very site (Microsoft Graph POST /sites/{site-id}/permissions, or Grant-PnPEntraIDAppSitePermission), read for SELECT and write for INSERT, UPDATE and DELETE; otherwise grant an application permission such as Sites.Read.All with admin consent"
	case e.appOnly && e.StatusCode == http.StatusUnauthorized:
		return "; the app-only token was refused: check that the application has a SharePoint application permission (Sites.Selected with a grant on this site, or Sites.Read.All) with admin consent, and that the scope names the SharePoint host"
	}
	return ""
}
