package spsql

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The seed connection string from the ODBC SharePoint driver's documentation
// (docs/sharepoint.md §14). Its secrets contain '=', '/' and '+'.
const (
	seedSecret  = "12a3=bCD/Ef4Ik+Lm5P6s=/V+Wy1Zcd"
	seedRefresh = "12a3=bCD/EfGh4Ijk+Lgd8g-44tk3c527831"
	seedDSN     = "DRIVER=DataDirect 8.0 Microsoft SharePoint;ServiceURL=https://mycorp.sharepoint.com/sites/marketing/global;ClientID=29453d6f-6gh-gd8g-44tk831;ClientSecret=" + seedSecret + ";TokenURI=https://login.microsoftonline.com/common/oauth2/v2.0/token;RefreshToken=" + seedRefresh
)

func seedConfig() *Config {
	c := NewConfig()
	c.ServiceURL = "https://mycorp.sharepoint.com/sites/marketing/global"
	c.ClientID = "29453d6f-6gh-gd8g-44tk831"
	c.ClientSecret = seedSecret
	c.TokenURI = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
	c.RefreshToken = seedRefresh
	return c
}

// withSeed returns seedConfig changed by f.
func withSeed(f func(*Config)) *Config {
	c := seedConfig()
	f(c)
	return c
}

// base ends with a non-secret property, so that keys appended to it are not
// mistaken for a fragment of a secret (see TestParseDSNNeverEchoesAPieceOfASecret).
const base = "AccessToken=tok;ServiceURL=https://corp.sharepoint.com/sites/x"

func baseConfig(f func(*Config)) *Config {
	c := NewConfig()
	c.ServiceURL = "https://corp.sharepoint.com/sites/x"
	c.AccessToken = "tok"
	if f != nil {
		f(c)
	}
	return c
}

var parseTests = []struct {
	name string
	dsn  string
	want *Config
}{
	{"the documented seed string parses with its secrets intact", seedDSN, seedConfig()},
	{"a trailing slash on ServiceURL is dropped", strings.Replace(seedDSN, "/global", "/global/", 1), seedConfig()},
	{"keys are case-insensitive and trimmed", " serviceurl =https://corp.sharepoint.com/sites/x; ACCESSTOKEN=tok", baseConfig(nil)},
	{"values are trimmed", "ServiceURL= https://corp.sharepoint.com/sites/x ;AccessToken=tok", baseConfig(nil)},
	{"empty segments and a trailing semicolon are ignored", ";;" + base + ";;;", baseConfig(nil)},
	{"a value runs from the first '=' to the next ';'", base + ";Scope=a=b==", baseConfig(func(c *Config) { c.Scope = "a=b==" })},
	{"braces allow ';' and '=' in a value", "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken={a;b=c}", baseConfig(func(c *Config) { c.AccessToken = "a;b=c" })},
	{"'}}' inside braces stands for '}'", "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken={a}}b}}}", baseConfig(func(c *Config) { c.AccessToken = "a}b}" })},
	{"braces keep surrounding white space", "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken={ tok } ", baseConfig(func(c *Config) { c.AccessToken = " tok " })},
	{"an empty braced value is empty", base + ";Scope={}", baseConfig(nil)},
	{"Driver and Description are ignored", "Driver={DataDirect 8.0 Microsoft SharePoint};Description=x;" + base, baseConfig(nil)},
	{"documented DataDirect properties are ignored", base + ";SchemaMap=/tmp/x.config;WSPoolSize=4;LogConfigFile=x", baseConfig(nil)},
	{"every property is read", base + ";ClientID=id;ClientSecret=s;TokenURI=https://login.example.com/t/oauth2/v2.0/token;RefreshToken=r;Scope=https://corp.sharepoint.com/AllSites.Read offline_access;AuthenticationMethod=oauth2;WSFetchSize=5000;WSTimeout=60;WSRetryCount=0;LoginTimeout=10;ReadOnly=true;TokenCacheFile=/tmp/tc;ProxyHost=proxy.corp;ProxyPort=3128;ProxyUser=u;ProxyPassword=p;AuditColumns=ALL;AuthURI=https://login.example.com/t/oauth2/v2.0/authorize;RedirectURI=http://localhost:8080/cb;EnableLoginPrompt=1",
		baseConfig(func(c *Config) {
			c.ClientID, c.ClientSecret, c.RefreshToken = "id", "s", "r"
			c.TokenURI = "https://login.example.com/t/oauth2/v2.0/token"
			c.Scope = "https://corp.sharepoint.com/AllSites.Read offline_access"
			c.FetchSize, c.Timeout, c.RetryCount, c.LoginTimeout = 5000, 60*time.Second, 0, 10*time.Second
			c.ReadOnly, c.TokenCacheFile = true, "/tmp/tc"
			c.ProxyHost, c.ProxyPort, c.ProxyUser, c.ProxyPassword = "proxy.corp", 3128, "u", "p"
			c.AuditColumns = AuditColumnsAll
			c.AuthURI = "https://login.example.com/t/oauth2/v2.0/authorize"
			c.RedirectURI = "http://localhost:8080/cb"
			c.EnableLoginPrompt = true
		})},
	{"other 127.x addresses are loopback", "ServiceURL=http://127.1.2.3:80/sites/x;AccessToken=tok", baseConfig(func(c *Config) { c.ServiceURL = "http://127.1.2.3:80/sites/x" })},
	{"ProxyHost may be host:port", base + ";ProxyHost=proxy.corp:3128", baseConfig(func(c *Config) { c.ProxyHost = "proxy.corp:3128" })},
	{"ProxyHost may be a URL", base + ";ProxyHost=https://[::1];ProxyPort=8080", baseConfig(func(c *Config) { c.ProxyHost, c.ProxyPort = "https://[::1]", 8080 })},
	{"AuthenticationMethod 24 is the ODBC code for OAuth2", base + ";AuthenticationMethod=24", baseConfig(nil)},
	{"timeouts accept Go durations", base + ";WSTimeout=1m30s;LoginTimeout=1.5s", baseConfig(func(c *Config) { c.Timeout, c.LoginTimeout = 90*time.Second, 1500*time.Millisecond })},
	{"WSTimeout=0 means no limit", base + ";WSTimeout=0", baseConfig(func(c *Config) { c.Timeout = 0 })},
	{"AuthenticationMethod=None needs no credentials on loopback", "ServiceURL=http://127.0.0.1:8080/sites/demo;AuthenticationMethod=None",
		func() *Config {
			c := NewConfig()
			c.ServiceURL, c.AuthenticationMethod = "http://127.0.0.1:8080/sites/demo", AuthNone
			return c
		}()},
	{"plain http is allowed for localhost and ::1", "ServiceURL=http://[::1]:9/sites/x;AccessToken=tok;TokenURI=http://localhost:9/t/oauth2/v2.0/token",
		baseConfig(func(c *Config) {
			c.ServiceURL, c.TokenURI = "http://[::1]:9/sites/x", "http://localhost:9/t/oauth2/v2.0/token"
		})},
}

func TestParseDSN(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDSN(tt.dsn)
			if err != nil {
				t.Fatalf("ParseDSN: %v", err)
			}
			got.ignored = nil // which ignored keys were seen: TestODBCAttributes
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseDSN:\n got %v\nwant %v", got, tt.want)
			}
			// Compare the secrets without printing them.
			if got.ClientSecret != tt.want.ClientSecret || got.RefreshToken != tt.want.RefreshToken || got.AccessToken != tt.want.AccessToken {
				t.Error("a secret did not survive parsing intact")
			}
			again, err := ParseDSN(got.FormatDSN())
			if err != nil {
				t.Fatalf("ParseDSN(FormatDSN()): %v", err)
			}
			if !reflect.DeepEqual(again, got) {
				t.Errorf("FormatDSN does not round-trip:\n got %v\nwant %v", again, got)
			}
		})
	}
}

var parseErrorTests = []struct {
	name string
	dsn  string
	want string // a substring of the error
}{
	{"an empty string lacks ServiceURL", "", "ServiceURL is required"},
	{"ServiceURL is required", "AccessToken=tok", "ServiceURL is required"},
	{"a key given twice is named", base + ";accesstoken=other", "property AccessToken is given twice"},
	{"DSN given twice", base + ";DSN=a;DSN=b", "property DSN is given twice"},
	{"an unknown key is named with a suggestion", base + ";ClientSecert=x", `unknown connection property "ClientSecert": did you mean "ClientSecret"?`},
	{"a key right after a secret is not echoed, even when it looks like a typo", base + ";ClientSecret=s;xSN=x", "unknown connection property after ClientSecret: if the ClientSecret contains ';', wrap the value in {braces}"},
	{"a misspelt fetch size suggests WSFetchSize", base + ";WSFetchSzie=10", `did you mean "WSFetchSize"?`},
	{"an unknown key far from any property gets no suggestion", base + ";Colour=blue", `unknown connection property "Colour" (see README.md`},
	{"a segment without '=' is named", base + ";oops", `segment "oops" has no '='`},
	{"a value without a key", base + ";=x", "value without a key"},
	{"an unclosed brace names the key", base + ";Scope={abc", "the value of Scope has an opening '{' but no closing '}'"},
	{"text after a closing brace names the key", base + ";Scope={abc}def", "unexpected text after the closing brace of Scope"},
	{"ServiceURL must parse", "ServiceURL=https://exa mple.com/%zz;AccessToken=tok", "ServiceURL is not a valid URL"},
	{"ServiceURL must be absolute", "ServiceURL=corp.sharepoint.com/sites/x;AccessToken=tok", "ServiceURL must be an absolute https:// URL"},
	{"ServiceURL must be https off loopback", "ServiceURL=http://corp.sharepoint.com/sites/x;AccessToken=tok", "ServiceURL must use https"},
	{"ServiceURL must not carry a query", "ServiceURL=https://corp.sharepoint.com/sites/x?a=b;AccessToken=tok", "must not have a query"},
	{"TokenURI must be https off loopback", base + ";TokenURI=http://login.microsoftonline.com/common/oauth2/v2.0/token", "TokenURI must use https"},
	{"a loopback look-alike is not loopback", "ServiceURL=http://127.0.0.1.evil.com/sites/x;AccessToken=tok", "ServiceURL must use https"},
	{"credentials are required", "ServiceURL=https://corp.sharepoint.com/sites/x", "no credentials"},
	{"RefreshToken needs TokenURI", "ServiceURL=https://corp.sharepoint.com/sites/x;RefreshToken=r;ClientID=c", "RefreshToken needs TokenURI"},
	{"RefreshToken needs ClientID", "ServiceURL=https://corp.sharepoint.com/sites/x;RefreshToken=r;TokenURI=https://login.microsoftonline.com/common/oauth2/v2.0/token", "RefreshToken needs ClientID"},
	{"WSFetchSize has a floor", base + ";WSFetchSize=0", "WSFetchSize must be between 1 and 5000, got 0"},
	{"WSFetchSize has SharePoint's cap", base + ";WSFetchSize=5001", "WSFetchSize must be between 1 and 5000, got 5001"},
	{"WSFetchSize must be a number", base + ";WSFetchSize=lots", `WSFetchSize must be a whole number, got "lots"`},
	{"WSRetryCount must not be negative", base + ";WSRetryCount=-1", "WSRetryCount must be between 0 and 100"},
	{"WSTimeout must not be negative", base + ";WSTimeout=-5", "WSTimeout must be between 0 and 86400 seconds"},
	{"LoginTimeout must be a number", base + ";LoginTimeout=soon", "LoginTimeout must be a number of seconds"},
	{"LoginTimeout must be at least a second", base + ";LoginTimeout=0", "LoginTimeout must be between 1 and 86400 seconds"},
	{"LoginTimeout has a ceiling", base + ";LoginTimeout=86401", "LoginTimeout must be between 0 and 86400 seconds"},
	{"WSRetryCount has a ceiling", base + ";WSRetryCount=101", "WSRetryCount must be between 0 and 100"},
	{"TokenURI must parse", base + ";TokenURI=https://login.example.com/%zz", "TokenURI is not a valid URL"},
	{"AuthURI must be https", base + ";AuthURI=http://login.example.com/authorize", "AuthURI must use https"},
	{"an empty query still ends the ServiceURL", "ServiceURL=https://corp.sharepoint.com/sites/x?;AccessToken=tok", "must not have a query"},
	{"a fragment ends the ServiceURL", "ServiceURL=https://corp.sharepoint.com/sites/x#top;AccessToken=tok", "must not have a query"},
	{"ProxyHost must not carry credentials", base + ";ProxyHost=http://u:pw@proxy:3128", "ProxyHost must not contain user information: use ProxyUser and ProxyPassword"},
	{"ProxyHost must be an http proxy", base + ";ProxyHost=ftp://proxy", `ProxyHost must be an http or https proxy, got scheme "ftp"`},
	{"ProxyHost and ProxyPort must agree", base + ";ProxyHost=proxy:3128;ProxyPort=8080", "ProxyHost names port 3128 but ProxyPort is 8080"},
	{"ProxyHost must not have a path", base + ";ProxyHost=http://proxy:3128/x", "without a path"},
	{"ProxyPort range", base + ";ProxyHost=p;ProxyPort=70000", "ProxyPort must be between 1 and 65535, got 70000"},
	{"ProxyPort is not 0", base + ";ProxyHost=p;ProxyPort=0", "ProxyPort must be between 1 and 65535, got 0"},
	{"ProxyHost's port range", base + ";ProxyHost=h:99999", `ProxyHost names port "99999": a port must be between 1 and 65535`},
	{"ProxyHost's port is not 0", base + ";ProxyHost=http://h:0", `ProxyHost names port "0"`},
	{"ProxyHost's port is not empty", base + ";ProxyHost=h:", `ProxyHost names port ""`},
	{"ServiceURL's port range", "ServiceURL=https://corp.sharepoint.com:70000/sites/x;AccessToken=tok", `ServiceURL names port "70000"`},
	{"TokenURI's port range", base + ";TokenURI=https://login.example.com:123456/t/oauth2/v2.0/token", `TokenURI names port "123456"`},
	{"ProxyPort needs ProxyHost", base + ";ProxyPort=8080", "need ProxyHost"},
	{"ProxyPassword needs ProxyUser", base + ";ProxyHost=p;ProxyPassword=pw", "ProxyPassword needs ProxyUser"},
	{"ReadOnly must be a boolean", base + ";ReadOnly=maybe", `ReadOnly must be true or false, got "maybe"`},
	{"AuthenticationMethod is checked", base + ";AuthenticationMethod=Kerberos", `AuthenticationMethod must be one of None, OAuth2, OAuth2ClientCertificate, got "Kerberos"`},
	{"AuthenticationMethod=None only on loopback", "ServiceURL=https://corp.sharepoint.com/sites/x;AuthenticationMethod=None", "only for the local emulator"},
	{"AuditColumns is checked", base + ";AuditColumns=Some", "AuditColumns must be one of All, None"},
	{"TokenCacheFile needs RefreshToken", base + ";TokenCacheFile=/tmp/x", "TokenCacheFile needs RefreshToken"},
}

func TestParseDSNErrors(t *testing.T) {
	for _, tt := range parseErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseDSN(tt.dsn)
			if err == nil {
				t.Fatalf("ParseDSN succeeded with %v, want an error containing %q", cfg, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestParseDSNUnknownPropertyIsErrUnknownProperty(t *testing.T) {
	_, err := ParseDSN(base + ";ClientSecert=x")
	if !errors.Is(err, ErrUnknownProperty) {
		t.Fatalf("errors.Is(%v, ErrUnknownProperty) = false", err)
	}
}

// A secret with an unbraced ';' splits, and its tail looks like a key: the
// error must explain the braces without echoing any part of the secret.
func TestParseDSNNeverEchoesAPieceOfASecret(t *testing.T) {
	for _, dsn := range []string{
		base + ";ClientSecret=abc;SECRETTAIL=def",
		base + ";ClientSecret=abc;SECRETTAIL=def;ReadOnly=true",
		base + ";ClientSecret=abc;SECRETTAIL",
		"ServiceURL=https://corp.sharepoint.com/sites/x;RefreshToken=abc;SECRETTAIL",
	} {
		_, err := ParseDSN(dsn)
		if err == nil {
			t.Fatal("ParseDSN accepted a split secret")
		}
		if strings.Contains(err.Error(), "SECRETTAIL") || strings.Contains(err.Error(), "abc") {
			t.Error("the error echoes part of a secret")
		}
		if !strings.Contains(err.Error(), "wrap the value in {braces}") {
			t.Errorf("error %q does not explain the braces", err)
		}
	}
}

// A misspelt key right after a secret is a typo, not a piece of the
// secret: it is named with its suggestion, and neither the secret nor the
// typo's value is printed. A fragment that is no near-miss stays unnamed.
func TestParseDSNNamesATypoAfterASecret(t *testing.T) {
	for _, secret := range []string{"RefreshToken", "ClientSecret", "ProxyPassword", "AccessToken", "CertificatePassword"} {
		dsn := "ServiceURL=https://corp.sharepoint.com/sites/x;" + secret + "=abc;ClientSecert=xyz"
		_, err := ParseDSN(dsn)
		if err == nil {
			t.Fatalf("ParseDSN(%s=…;ClientSecert=…) succeeded", secret)
		}
		msg := err.Error()
		if !errors.Is(err, ErrUnknownProperty) {
			t.Errorf("%s: errors.Is(%v, ErrUnknownProperty) = false", secret, err)
		}
		if !strings.Contains(msg, `"ClientSecert": did you mean "ClientSecret"?`) {
			t.Errorf("%s: error %q does not name ClientSecert and suggest ClientSecret", secret, msg)
		}
		if strings.Contains(msg, "abc") || strings.Contains(msg, "xyz") {
			t.Errorf("%s: error %q echoes a value", secret, msg)
		}
	}
	for _, tail := range []string{"q7Zr2Xw", "xSN", "Tkn", "8f3kQ~pL0vRz"} {
		dsn := "ServiceURL=https://corp.sharepoint.com/sites/x;RefreshToken=abc;" + tail + "=xyz"
		_, err := ParseDSN(dsn)
		if err == nil {
			t.Fatalf("ParseDSN accepted the fragment %q", tail)
		}
		msg := err.Error()
		if strings.Contains(msg, tail) || strings.Contains(msg, "abc") || strings.Contains(msg, "xyz") {
			t.Errorf("error %q echoes a piece of the secret", msg)
		}
		if !strings.Contains(msg, "wrap the value in {braces}") {
			t.Errorf("error %q does not explain the braces", msg)
		}
	}
}

func TestSuggestProperty(t *testing.T) {
	for key, want := range map[string]string{
		"ClientSecert":  "ClientSecret",
		"clientid":      "ClientID",
		"ServiceUrl2":   "ServiceURL",
		"RefreshTokn":   "RefreshToken",
		"TokenURL":      "TokenURI",
		"WSTimeOut":     "WSTimeout",
		"x":             "",
		"Colour":        "",
		"UnrelatedName": "",
	} {
		if got := suggestProperty(key); got != want {
			t.Errorf("suggestProperty(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestFormatDSNQuotesValuesThatNeedIt(t *testing.T) {
	c := baseConfig(func(c *Config) { c.AccessToken = "a;b}c" })
	got := c.FormatDSN()
	if want := "AccessToken={a;b}}c}"; !strings.Contains(got, want) {
		t.Fatal("FormatDSN did not brace a value containing ';' and '}'")
	}
	if again, err := ParseDSN(got); err != nil || again.AccessToken != c.AccessToken {
		t.Fatalf("round trip failed: %v", err)
	}
}

func TestFormatDSNOmitsDefaults(t *testing.T) {
	if got, want := baseConfig(nil).FormatDSN(), "ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=tok"; got != want {
		t.Errorf("FormatDSN() = %q, want %q", got, want)
	}
}

// Printing a Config in any way a program might must never show a secret.
func TestConfigPrintingRedactsSecrets(t *testing.T) {
	c := withSeed(func(c *Config) {
		c.AccessToken = "access-SECRET-1"
		c.ProxyHost, c.ProxyUser, c.ProxyPassword = "proxy", "user", "proxy-SECRET-2"
		c.CertificateFile, c.CertificatePassword = "/etc/app.pfx", "pfx-SECRET-3"
	})
	secrets := []string{seedSecret, seedRefresh, "access-SECRET-1", "proxy-SECRET-2", "pfx-SECRET-3"}
	var logged strings.Builder
	logger := slog.New(slog.NewTextHandler(&logged, nil))
	logger.Info("config", "cfg", c, "value", *c)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", c)
	outputs := map[string]string{
		"String":     c.String(),
		"%v pointer": fmt.Sprintf("%v", c),
		"%+v":        fmt.Sprintf("%+v", c),
		"%#v":        fmt.Sprintf("%#v", c),
		"%v value":   fmt.Sprintf("%v", *c),
		"%#v value":  fmt.Sprintf("%#v", *c),
		"%s":         fmt.Sprintf("[%s]", c),
		"slog":       logged.String(),
	}
	for how, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s printing shows a secret", how)
			}
		}
		if !strings.Contains(out, "***") || !strings.Contains(out, "mycorp.sharepoint.com") {
			t.Errorf("%s printing = %q, want the URL and *** for secrets", how, out)
		}
	}
}

// Error messages for bad values of secret properties must not contain them.
func TestParseErrorsNeverContainSecrets(t *testing.T) {
	dsns := []string{
		base + ";ClientSecret=" + seedSecret + ";" + seedSecret[5:9] + "N=x",
		"ServiceURL=ftp://user:" + seedSecret + "@host/x;AccessToken=t",
		"ServiceURL=//user:" + seedSecret + "@host/x;AccessToken=t",
		"ServiceURL=https://user:" + seedSecret + "@host/%zz;AccessToken=t",
		base + ";TokenURI=http://login.example.com/x?client_secret=" + seedSecret,
		base + ";ProxyHost=http://u:" + seedSecret + "@:3128",
		base + ";ProxyHost=http://u:" + seedSecret + "@proxy",
		seedDSN + ";ClientSecret=again",
		seedDSN + ";WSFetchSize=0",
		seedDSN + ";Bogus=1",
		strings.Replace(seedDSN, "https://mycorp", "http://mycorp", 1),
		strings.Replace(seedDSN, "ClientID=29453d6f-6gh-gd8g-44tk831;", "", 1),
		strings.Replace(seedDSN, "TokenURI=https://", "TokenURI=http://", 1),
	}
	for _, dsn := range dsns {
		_, err := ParseDSN(dsn)
		if err == nil {
			t.Fatal("expected an error")
		}
		if strings.Contains(err.Error(), seedSecret) || strings.Contains(err.Error(), seedRefresh) {
			t.Error("a parse error contains a secret")
		}
	}
}

func TestScopesAndResource(t *testing.T) {
	c := seedConfig()
	if got, want := c.Scopes(), []string{"https://mycorp.sharepoint.com/.default", "offline_access"}; !reflect.DeepEqual(got, want) {
		t.Errorf("default Scopes() = %q, want %q", got, want)
	}
	if got, want := c.Resource(), "https://mycorp.sharepoint.com"; got != want {
		t.Errorf("Resource() = %q, want %q", got, want)
	}
	c.Scope = " https://mycorp.sharepoint.com/AllSites.Read  offline_access "
	if got, want := c.Scopes(), []string{"https://mycorp.sharepoint.com/AllSites.Read", "offline_access"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Scopes() = %q, want %q", got, want)
	}
}

// writeIni writes an odbc.ini in a temporary directory and points $ODBCINI
// at it (and $HOME somewhere harmless), so no test reads the real files.
func writeIni(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "odbc.ini")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	t.Setenv("ODBCSYSINI", dir)
	t.Setenv("ODBCINI", path)
	return path
}

// seedIni is the seed connection string as an odbc.ini section, the way
// the ODBC driver's setup writes it (ServiceURL with a trailing slash).
const seedIni = `[ODBC Data Sources]
Microsoft SharePoint=DataDirect 8.0 Microsoft SharePoint

; the data source used by the reports
[Microsoft SharePoint]
Driver=ODBCHOME/lib/ivsharepoint28.so
Description=DataDirect 8.0 Microsoft SharePoint
ServiceURL = https://mycorp.sharepoint.com/sites/marketing/global/
ClientID=29453d6f-6gh-gd8g-44tk831
# secrets keep '=', '/' and '+'
ClientSecret=` + seedSecret + `
TokenURI=https://login.microsoftonline.com/common/oauth2/v2.0/token
RefreshToken  =  ` + seedRefresh + `
Trace=0
TraceFile=/tmp/odbctrace.out

[Other]
ServiceURL=https://other.sharepoint.com/sites/y
AccessToken=other
`

func TestParseDSNFromOdbcIni(t *testing.T) {
	writeIni(t, seedIni)
	tests := []struct {
		name string
		dsn  string
		want *Config
	}{
		{"the seed section gives the seed config", "DSN=Microsoft SharePoint", seedConfig()},
		{"section names match case-insensitively", "dsn=microsoft sharepoint", seedConfig()},
		{"DataSourceName is ODBC's long name for DSN", "DataSourceName=Microsoft SharePoint", seedConfig()},
		{"the connection string overrides the file", "DSN=Microsoft SharePoint;WSFetchSize=50;ClientID=other",
			withSeed(func(c *Config) { c.FetchSize, c.ClientID = 50, "other" })},
		{"a later section is not mixed in", "DSN=Other", baseConfig(func(c *Config) {
			c.ServiceURL, c.AccessToken = "https://other.sharepoint.com/sites/y", "other"
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDSN(tt.dsn)
			if err != nil {
				t.Fatalf("ParseDSN: %v", err)
			}
			got.ignored = nil // which ignored keys were seen: TestODBCAttributes
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestOdbcIniSearchOrder(t *testing.T) {
	home, sys := t.TempDir(), t.TempDir()
	t.Setenv("ODBCINI", "")
	t.Setenv("HOME", home)
	t.Setenv("ODBCSYSINI", sys)
	write := func(path, url string) {
		t.Helper()
		if err := os.WriteFile(path, []byte("[SP]\nServiceURL="+url+"\nAccessToken=t\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(sys, "odbc.ini"), "https://system.sharepoint.com/sites/x")
	got, err := ParseDSN("DSN=SP")
	if err != nil || got.ServiceURL != "https://system.sharepoint.com/sites/x" {
		t.Fatalf("without ~/.odbc.ini, want the system file's section: %v, %v", got, err)
	}
	write(filepath.Join(home, ".odbc.ini"), "https://user.sharepoint.com/sites/x")
	got, err = ParseDSN("DSN=SP")
	if err != nil || got.ServiceURL != "https://user.sharepoint.com/sites/x" {
		t.Fatalf("~/.odbc.ini must win over the system file: %v, %v", got, err)
	}
	explicit := filepath.Join(t.TempDir(), "custom.ini")
	write(explicit, "https://explicit.sharepoint.com/sites/x")
	t.Setenv("ODBCINI", explicit)
	got, err = ParseDSN("DSN=SP")
	if err != nil || got.ServiceURL != "https://explicit.sharepoint.com/sites/x" {
		t.Fatalf("$ODBCINI must win: %v, %v", got, err)
	}
}

func TestOdbcIniErrors(t *testing.T) {
	t.Run("a missing section names the files looked at", func(t *testing.T) {
		path := writeIni(t, seedIni)
		_, err := ParseDSN("DSN=Nope")
		if !errors.Is(err, ErrDataSourceNotFound) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "[Nope]") {
			t.Fatalf("got %v, want ErrDataSourceNotFound naming [Nope] and %s", err, path)
		}
	})
	t.Run("a missing section suggests a near one or lists those there", func(t *testing.T) {
		writeIni(t, seedIni)
		_, err := ParseDSN("DSN=Microsoft Sharepiont")
		if !errors.Is(err, ErrDataSourceNotFound) || !strings.Contains(err.Error(), "; did you mean [Microsoft SharePoint]?") {
			t.Errorf("near miss: got %v, want a suggestion of [Microsoft SharePoint]", err)
		}
		_, err = ParseDSN("DSN=Nope")
		if !strings.HasSuffix(err.Error(), "; the data sources there are [Microsoft SharePoint], [Other]") {
			t.Errorf("far name: got %v, want the list of data sources (without [ODBC Data Sources])", err)
		}
		writeIni(t, "[ODBC Data Sources]\n")
		if _, err = ParseDSN("DSN=Nope"); !strings.Contains(err.Error(), "no data source is defined there") {
			t.Errorf("no section: got %v, want it said", err)
		}
	})
	t.Run("an unreadable file is named once, with what to do", func(t *testing.T) {
		dir := t.TempDir() // a directory cannot be read as a file
		t.Setenv("ODBCINI", dir)
		_, err := ParseDSN("DSN=SP")
		want := "spsql: cannot read the odbc.ini file " + dir + ": is a directory (check its permissions, or set ODBCINI"
		if err == nil || !strings.Contains(err.Error(), want) || strings.Count(err.Error(), dir) != 1 {
			t.Errorf("got %v, want %q", err, want)
		}
	})
	t.Run("a missing file is named as missing", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("HOME", dir)
		t.Setenv("ODBCSYSINI", dir)
		t.Setenv("ODBCINI", "")
		_, err := ParseDSN("DSN=SP")
		want := filepath.Join(dir, ".odbc.ini") + " (missing), " + filepath.Join(dir, "odbc.ini") + " (missing)"
		if !errors.Is(err, ErrDataSourceNotFound) || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, want it to list %s", err, want)
		}
	})
	for _, tt := range []struct{ name, ini, want string }{
		{"an unknown key names the file, line and a suggestion", "[SP]\nServiceURL=https://x.sharepoint.com\nClientScret=x\n", `"ClientScret": did you mean "ClientSecret"? (`},
		{"a duplicate key in the file names the line", "[SP]\nServiceURL=https://x.sharepoint.com\nAccessToken=a\naccesstoken=b\n", "property AccessToken is given twice ("},
		{"a line without '=' names the line", "[SP]\nServiceURL\n", "odbc.ini:2: line has no '='"},
		{"a bad value names the line", "[SP]\nServiceURL=https://x.sharepoint.com\nAccessToken=a\nWSFetchSize=0\n", "WSFetchSize must be between 1 and 5000, got 0 ("},
		{"DSN inside a section is refused", "[SP]\nDSN=other\n", "DSN cannot be used inside an odbc.ini data source"},
		{"a broken section header", "[SP\nServiceURL=x\n", "section header without ']'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			writeIni(t, tt.ini)
			_, err := ParseDSN("DSN=SP")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// FuzzParseDSN checks that no input panics and that every accepted string
// is a fixed point of parse → format → parse.
func FuzzParseDSN(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.dsn)
	}
	for _, tt := range parseErrorTests {
		f.Add(tt.dsn)
	}
	// DSN= would read odbc.ini: point it at nothing.
	f.Setenv("ODBCINI", filepath.Join(f.TempDir(), "none.ini"))
	f.Fuzz(func(t *testing.T, dsn string) {
		cfg, err := ParseDSN(dsn)
		if err != nil {
			return
		}
		cfg.ignored = nil // FormatDSN writes only what has an effect
		formatted := cfg.FormatDSN()
		again, err := ParseDSN(formatted)
		if err != nil {
			t.Fatalf("ParseDSN(FormatDSN()) failed: %v", err)
		}
		if !reflect.DeepEqual(again, cfg) {
			t.Fatalf("round trip changed the config:\n got %v\nwant %v", again, cfg)
		}
	})
}

// A URL property that runs into the next property because its ';' was
// forgotten is refused naming that property, and no message shows the
// text after it, which may be a secret's value.
func TestParseDSNURLRunningIntoTheNextProperty(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"ServiceURL=http://corp.sharepoint.com/sites/x AccessToken=SECRETVAL", "ServiceURL runs into AccessToken=: a ';' is missing before AccessToken"},
		{"ServiceURL=https://corp.sharepoint.com/sites/x AccessToken=SECRETVAL", "ServiceURL runs into AccessToken="},
		{"ServiceURL=https://corp.sharepoint.com/sites/x,accesstoken = SECRETVAL", "ServiceURL runs into AccessToken="},
		{base + ";TokenURI=http://login.example.com/t/oauth2/v2.0/token ClientSecret=SECRETVAL", "TokenURI runs into ClientSecret="},
	} {
		_, err := ParseDSN(c.dsn)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.dsn, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRETVAL") {
			t.Errorf("%s: the error shows the secret: %v", c.dsn, err)
		}
	}
	// A space that no property name follows is left to the URL checks.
	if _, err := ParseDSN("ServiceURL=https://corp.sharepoint.com/sites/My Site;AccessToken=t"); err != nil {
		t.Errorf("a site URL with a space: %v", err)
	}
}
