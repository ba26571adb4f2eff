package spsql_test

import (
	"database/sql"
	"fmt"
	"os"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// An unattended job signs in as an application with a certificate
// (AuthenticationMethod=OAuth2ClientCertificate). Against the emulator, a
// test makes a certificate with sptest.NewTestCertificate, registers it
// on the emulator's application and writes it where CertificateFile
// points.
func Example_appOnly() {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{
		Title: "Tasks",
		Items: []sptest.Item{{"Title": "Back up"}, {"Title": "Report"}},
	}}})
	defer srv.Close()

	cert, err := sptest.NewTestCertificate()
	if err != nil {
		fmt.Println(err)
		return
	}
	srv.RegisterAppCertificate(cert.Certificate)
	dir, err := os.MkdirTemp("", "spsql-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	pfx, err := cert.WritePKCS12(dir, "pfx password")
	if err != nil {
		fmt.Println(err)
		return
	}

	// ServiceURL=…;AuthenticationMethod=OAuth2ClientCertificate;ClientID=…;
	// TokenURI=…;CertificateFile=…/app.pfx;CertificatePassword=pfx password
	db, err := sql.Open("sharepoint", srv.AppOnlyConnString(pfx, "pfx password"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM Tasks").Scan(&n); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, "tasks; grant:", srv.Tokens.Requests()[0].Form.Get("grant_type"))
	// Output: 2 tasks; grant: client_credentials
}
