package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// AssertionLifetime is how long a client assertion is valid after its
// nbf: Microsoft asks for 5 to 10 minutes at most (docs/sharepoint.md
// §12.8). A new assertion is signed for every token request.
const AssertionLifetime = 5 * time.Minute

// ClientAssertionType is the client_assertion_type of a JWT signed with
// the application's certificate (docs/sharepoint.md §12.8).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// ErrCertificateExpired: the client certificate is outside its validity
// period (expired, or not yet valid). Checked before every token request,
// so an expired certificate is reported without asking Entra ID.
var ErrCertificateExpired = errors.New("auth: the client certificate is outside its validity period")

// ErrCertificateRejected: Entra ID refused the client assertion because
// the certificate is not registered on the application (AADSTS700027), or
// no longer valid there. errors.Is reports it for such an *Error.
var ErrCertificateRejected = errors.New("auth: Entra ID rejected the client certificate")

// ClientCertificate is an application's certificate credential: the
// certificate registered on the Entra ID app and its private key, which
// signs the client assertions of the client-credentials grant. Its String,
// GoString and LogValue never show the key.
type ClientCertificate struct {
	// Certificate is the X.509 certificate uploaded to the app
	// registration; its thumbprints name it in each assertion.
	Certificate *x509.Certificate
	// Key is the certificate's RSA private key (an *rsa.PrivateKey, or any
	// crypto.Signer with an RSA public key, such as a hardware key).
	Key crypto.Signer
}

// LoadClientCertificate reads a certificate and its private key from a
// file: PEM (a CERTIFICATE block and an unencrypted PRIVATE KEY or RSA
// PRIVATE KEY block, in either order) or PKCS#12 (.pfx, .p12, opened with
// password). The error names the file, never the password or the key.
func LoadClientCertificate(path, password string) (*ClientCertificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: reading the certificate file (CertificateFile): %w", err)
	}
	c, err := ParseClientCertificate(data, password)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return c, nil
}

// ParseClientCertificate parses a PEM or PKCS#12 certificate with its
// private key; see LoadClientCertificate.
func ParseClientCertificate(data []byte, password string) (*ClientCertificate, error) {
	var c *ClientCertificate
	var err error
	if isPEM(data) {
		c, err = parsePEMCertificate(data) // unencrypted: no password
	} else {
		c, err = parsePKCS12Certificate(data, password)
	}
	if err != nil {
		return nil, err
	}
	pub, ok := c.Certificate.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("auth: the certificate's key is %s; Entra ID's certificate credentials are RSA: create an RSA certificate (2048 bits or more)", keyKind(c.Certificate.PublicKey))
	}
	kp, ok := c.Key.Public().(*rsa.PublicKey)
	if !ok || !kp.Equal(pub) {
		return nil, errors.New("auth: the private key does not belong to the certificate: give the key that was created with this certificate")
	}
	return c, nil
}

func isPEM(data []byte) bool {
	return strings.Contains(string(data), "-----BEGIN ")
}

func parsePEMCertificate(data []byte) (*ClientCertificate, error) {
	c := &ClientCertificate{}
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			if c.Certificate != nil {
				continue // a chain: the first certificate is the app's
			}
			cert, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("auth: the certificate file's CERTIFICATE block is not an X.509 certificate: %v", err)
			}
			c.Certificate = cert
		case "PRIVATE KEY", "RSA PRIVATE KEY":
			if _, encrypted := b.Headers["Proc-Type"]; encrypted {
				return nil, errEncryptedPEM
			}
			key, err := parsePrivateKey(b)
			if err != nil {
				return nil, err
			}
			c.Key = key
		case "ENCRYPTED PRIVATE KEY":
			return nil, errEncryptedPEM
		}
	}
	switch {
	case c.Certificate == nil && c.Key == nil:
		return nil, errors.New("auth: the certificate file has neither a CERTIFICATE nor a PRIVATE KEY block: give a PEM file with both, or a PKCS#12 (.pfx) file")
	case c.Certificate == nil:
		return nil, errors.New("auth: the certificate file has a private key but no CERTIFICATE block: append the certificate (PEM) to it")
	case c.Key == nil:
		return nil, errors.New("auth: the certificate file has no PRIVATE KEY block: append the certificate's private key (PEM) to it, or give a PKCS#12 (.pfx) file")
	}
	return c, nil
}

// errEncryptedPEM: Go's standard library reads no encrypted PEM key in a
// safe way (legacy PEM encryption is deprecated as insecure); PKCS#12 is
// the password-protected format.
var errEncryptedPEM = errors.New("auth: the PEM private key is encrypted, which is not supported: give a PKCS#12 (.pfx) file with CertificatePassword instead (openssl pkcs12 -export -in cert.pem -inkey key.pem -out app.pfx), or an unencrypted key in a file only the job's account can read")

func parsePrivateKey(b *pem.Block) (crypto.Signer, error) {
	if b.Type == "RSA PRIVATE KEY" {
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			return nil, errors.New("auth: the RSA PRIVATE KEY block cannot be read (not a PKCS#1 RSA key)")
		}
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, errors.New("auth: the PRIVATE KEY block cannot be read (not a PKCS#8 key)")
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("auth: the PRIVATE KEY block holds a key that cannot sign")
	}
	return s, nil
}

// parsePKCS12Certificate uses software.sslmate.com/src/go-pkcs12: the
// standard library has no PKCS#12, and golang.org/x/crypto/pkcs12 (frozen)
// cannot open the AES-encrypted files OpenSSL 3 and current Windows
// write by default.
func parsePKCS12Certificate(data []byte, password string) (*ClientCertificate, error) {
	key, cert, _, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, pkcs12Error(data, password, err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, errors.New("auth: the PKCS#12 file's private key cannot sign")
	}
	return &ClientCertificate{Certificate: cert, Key: s}, nil
}

// pkcs12Error says what is wrong with a certificate file that
// pkcs12.DecodeChain refused, and what to do. The library's texts name no
// secret, but only their kind is kept.
func pkcs12Error(data []byte, password string, err error) error {
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword) && password == "":
		return errors.New("auth: the PKCS#12 certificate file is protected by a password and CertificatePassword is not set: set it to the file's password")
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return errors.New("auth: the PKCS#12 certificate file cannot be opened with CertificatePassword: check the password")
	case err.Error() == "pkcs12: no MAC in data" && password != "": // go-pkcs12 has no sentinel for these two
		return errors.New("auth: the PKCS#12 certificate file has no password: remove CertificatePassword")
	case err.Error() == "pkcs12: private key missing":
		return errors.New("auth: the PKCS#12 certificate file holds no private key: export the certificate with its private key (.pfx), or give a PEM file with the certificate and its key")
	}
	if _, cerr := x509.ParseCertificate(data); cerr == nil {
		// What the app registration takes (a .cer or .crt file), not what
		// signs the assertions.
		return errors.New("auth: the certificate file is a certificate alone (DER, as a .cer or .crt file) without its private key: give the .pfx exported with the key, or a PEM file with the certificate and its key; the .cer is what is uploaded to the app registration")
	}
	return errors.New("auth: the certificate file is neither PEM nor a PKCS#12 (.pfx) file this driver can read: export the certificate with its private key as .pfx, or as PEM")
}

func keyKind(pub any) string {
	switch pub.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "ECDSA"
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", pub), "*")
}

// Thumbprint is the certificate's SHA-1 thumbprint in upper-case hex, as
// the Entra admin center shows it under Certificates & secrets.
func (c *ClientCertificate) Thumbprint() string {
	sum := sha1.Sum(c.Certificate.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// String names the certificate by subject, thumbprint and expiry; never
// the key.
func (c *ClientCertificate) String() string {
	if c == nil || c.Certificate == nil {
		return "auth.ClientCertificate{}"
	}
	return fmt.Sprintf("auth.ClientCertificate{Subject:%q Thumbprint:%s NotAfter:%s Key:***}",
		c.Certificate.Subject.String(), c.Thumbprint(), c.Certificate.NotAfter.UTC().Format(time.RFC3339))
}

// GoString keeps %#v from printing the key.
func (c *ClientCertificate) GoString() string { return c.String() }

// checkValidity reports a certificate outside its validity period at now,
// saying what to do.
func (c *ClientCertificate) checkValidity(now time.Time) error {
	cert := c.Certificate
	switch {
	case now.After(cert.NotAfter):
		return fmt.Errorf("%w: the certificate %s expired on %s: create a new certificate, upload it to the app registration (Certificates & secrets) and point CertificateFile at it",
			ErrCertificateExpired, c.Thumbprint(), cert.NotAfter.UTC().Format("2006-01-02 15:04:05Z"))
	case now.Before(cert.NotBefore):
		return fmt.Errorf("%w: the certificate %s is valid only from %s: check this machine's clock, or wait",
			ErrCertificateExpired, c.Thumbprint(), cert.NotBefore.UTC().Format("2006-01-02 15:04:05Z"))
	}
	return nil
}

// assertion signs a client assertion for one token request
// (docs/sharepoint.md §12.8): PS256 with both thumbprints in the header,
// aud the token endpoint, iss = sub the client ID, a random jti, nbf and
// iat now, exp AssertionLifetime later.
func (c *ClientCertificate) assertion(audience, clientID string, now time.Time) (string, error) {
	s1 := sha1.Sum(c.Certificate.Raw)
	s256 := sha256.Sum256(c.Certificate.Raw)
	header, _ := json.Marshal(map[string]string{
		"alg":      "PS256",
		"typ":      "JWT",
		"x5t":      base64.RawURLEncoding.EncodeToString(s1[:]),
		"x5t#S256": base64.RawURLEncoding.EncodeToString(s256[:]),
	})
	jti := make([]byte, 16)
	_, _ = rand.Read(jti) // crypto/rand.Read never fails (Go 1.24+)
	jti[6] = jti[6]&0x0f | 0x40
	jti[8] = jti[8]&0x3f | 0x80
	h := hex.EncodeToString(jti)
	claims, _ := json.Marshal(map[string]any{
		"aud": audience,
		"iss": clientID,
		"sub": clientID,
		"jti": h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32],
		"nbf": now.Unix(),
		"iat": now.Unix(),
		"exp": now.Add(AssertionLifetime).Unix(),
	})
	signingInput := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signingInput))
	// RFC 7518 §3.5: PS256 is RSASSA-PSS with SHA-256, MGF1 with SHA-256
	// and a salt as long as the hash.
	sig, err := c.Key.Sign(rand.Reader, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
	if err != nil {
		return "", errors.New("auth: signing the client assertion with the certificate's key failed")
	}
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
