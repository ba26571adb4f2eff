package spsql

import "github.com/go-spsql/spsql/auth"

// ErrCertificateRejected: with AuthenticationMethod=OAuth2ClientCertificate,
// Entra ID refused the certificate (AADSTS700027: it is not registered on
// the application, or no longer valid there). Upload the certificate's
// public part under Certificates & secrets of the app registration, or
// point CertificateFile at the one registered there. It also matches
// ErrInvalidClient.
var ErrCertificateRejected = auth.ErrCertificateRejected

// ErrCertificateExpired: the CertificateFile's certificate is outside its
// validity period; it is checked before any request is sent. Create a new
// certificate and upload it to the app registration.
var ErrCertificateExpired = auth.ErrCertificateExpired
