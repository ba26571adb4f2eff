package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// serveCertFile is the name of the PEM file spsql serve --app-only writes:
// the test certificate followed by its private key.
const serveCertFile = "app.pem"

// setUpAppOnly prepares app-only access on srv for spsql serve --app-only:
// it creates a test certificate, registers it on the emulator's default
// application, as uploading it under Certificates & secrets does, and
// writes the certificate with its unencrypted key to certDir/app.pem (mode
// 0600), or, when certDir is "", to a new private temporary directory. It
// returns the app-only connection string and a cleanup that removes the
// temporary directory (a file in certDir is kept: the user chose where it
// goes). The key is only written to that file, never printed.
func setUpAppOnly(srv *sptest.Server, certDir string) (dsn, certPath string, cleanup func(), err error) {
	cleanup = func() {}
	cert, err := sptest.NewTestCertificate()
	if err != nil {
		return "", "", cleanup, err
	}
	dir := certDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "spsql-serve-"); err != nil { // mode 0700
			return "", "", cleanup, fmt.Errorf("--app-only: creating a directory for the certificate: %w", err)
		}
		cleanup = func() { os.RemoveAll(dir) }
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", cleanup, fmt.Errorf("--cert-dir: %w", err)
	}
	if certPath, err = writePrivateFile(dir, serveCertFile, cert.PEM()); err != nil {
		cleanup()
		return "", "", func() {}, fmt.Errorf("--cert-dir: writing the certificate: %w", err)
	}
	if certPath, err = filepath.Abs(certPath); err != nil {
		cleanup()
		return "", "", func() {}, fmt.Errorf("--cert-dir: %w", err)
	}
	srv.RegisterAppCertificate(cert.Certificate)
	return srv.AppOnlyConnString(certPath, ""), certPath, cleanup, nil
}

// writePrivateFile writes data to dir/name readable by its owner only. It
// writes a new file (os.CreateTemp makes it 0600) and renames it over
// name, so that an existing dir/name readable by others does not lend its
// permissions to the key, and a reader never sees half a file.
func writePrivateFile(dir, name string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+"-*")
	if err != nil {
		return "", err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return path, nil
}
