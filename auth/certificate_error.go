package auth

import "slices"

// AADSTS codes of a refused certificate credential (docs/sharepoint.md
// §12.8).
const (
	aadstsInvalidKey          = 700027  // assertion signature invalid: certificate not registered on the app
	aadstsAssertionTimeRange  = 700024  // assertion outside its time range: clock skew
	aadstsCertificateRevoked  = 7000214 // certificate revoked
	aadstsCertificateValidity = 1000502 // certificate outside its validity window
)

// certificateRejected reports a refusal of the certificate itself, which
// only a registered, valid certificate cures.
func (e *Error) certificateRejected() bool {
	if !e.certificate || e.Code != "invalid_client" {
		return false
	}
	return len(e.ErrorCodes) == 0 || slices.ContainsFunc(e.ErrorCodes, func(c int) bool {
		return c == aadstsInvalidKey || c == aadstsCertificateRevoked || c == aadstsCertificateValidity
	})
}

// certificateHint says what to do about an invalid_client answer to a
// client assertion.
func (e *Error) certificateHint() string {
	switch {
	case slices.Contains(e.ErrorCodes, aadstsInvalidKey):
		return "; the certificate is not registered on the application: upload its public part (the .cer or PEM certificate, never the key) under Certificates & secrets of the app registration named by ClientID, or point CertificateFile at the certificate that is registered there"
	case slices.Contains(e.ErrorCodes, aadstsAssertionTimeRange):
		return "; the client assertion's time range was refused: check this machine's clock (it must be within minutes of the real time)"
	case slices.Contains(e.ErrorCodes, aadstsCertificateRevoked):
		return "; the certificate was revoked: create a new certificate and upload it to the app registration"
	case slices.Contains(e.ErrorCodes, aadstsCertificateValidity):
		return "; the certificate is expired or not yet valid for Entra ID: create a new certificate and upload it to the app registration"
	}
	return "; check ClientID and that CertificateFile holds the certificate registered on that application, with its private key"
}
