package sptest

import (
	"slices"
	"strings"
)

// WithRefreshTokenReuseDetection makes the token endpoint refuse a refresh
// token once a newer one was issued from it (invalid_grant, AADSTS70008),
// as identity providers with refresh token reuse detection do. Entra ID
// does not (docs/sharepoint.md §12.5), so it is off by default; turn it on
// to prove that a program always uses the newest refresh token. It is the
// same as Server.Tokens.SetReuseDetection(true).
func WithRefreshTokenReuseDetection() Option { return func(c *config) { c.reuse = true } }

// delegatedScopes are the SharePoint permissions the emulator's
// applications were granted (consented): what Entra ID lists in a token
// answer's "scope" for a SharePoint resource, whichever of its scopes the
// request named (docs/sharepoint.md §12.4).
const delegatedScopes = "AllSites.Read AllSites.Write"

// grantedScopes is a v2 token answer's "scope" for the requested scopes:
// each resource's granted permissions as full scope URIs (a request for
// https://host/.default is answered "https://host/AllSites.Read
// https://host/AllSites.Write"), other scopes — the OpenID Connect ones
// included — as asked, without offline_access, which Entra ID does not
// list there.
func grantedScopes(requested string) string {
	var out []string
	for s := range strings.FieldsSeq(requested) {
		switch s {
		case "offline_access":
			continue
		}
		i := strings.Index(s, "://")
		j := -1
		if i >= 0 {
			j = strings.Index(s[i+3:], "/")
		}
		if j < 0 {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
			continue
		}
		resource := s[:i+3+j]
		for d := range strings.FieldsSeq(delegatedScopes) {
			if g := resource + "/" + d; !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return strings.Join(out, " ")
}
