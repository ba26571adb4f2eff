package spsql

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// attributeCase says how to exercise one implemented attribute: the rest of
// a valid connection string, the value to give, and what must change.
type attributeCase struct {
	rest  string // the connection string the attribute is appended to
	value string
	want  func(*Config) // applied to the expected Config
}

const tokenURL = "https://login.microsoftonline.com/t/oauth2/v2.0/token"

var implementedCases = map[string]attributeCase{
	"ServiceURL": {"AccessToken=tok", "https://corp.sharepoint.com/sites/y",
		func(c *Config) { c.ServiceURL = "https://corp.sharepoint.com/sites/y" }},
	"AuthenticationMethod": {"ServiceURL=http://127.0.0.1:9/sites/x", "None",
		func(c *Config) {
			c.ServiceURL, c.AccessToken, c.AuthenticationMethod = "http://127.0.0.1:9/sites/x", "", AuthNone
		}},
	"AccessToken": {"ServiceURL=https://corp.sharepoint.com/sites/x", "tok", func(c *Config) {}},
	"AuthURI": {base, "https://login.microsoftonline.com/t/oauth2/v2.0/authorize",
		func(c *Config) { c.AuthURI = "https://login.microsoftonline.com/t/oauth2/v2.0/authorize" }},
	"ClientID":          {base, "app", func(c *Config) { c.ClientID = "app" }},
	"ClientSecret":      {base + ";ClientID=app", "s3cret", func(c *Config) { c.ClientID, c.ClientSecret = "app", "s3cret" }},
	"EnableLoginPrompt": {base, "true", func(c *Config) { c.EnableLoginPrompt = true }},
	"RedirectURI":       {base, "http://localhost:8400", func(c *Config) { c.RedirectURI = "http://localhost:8400" }},
	"RefreshToken": {"ServiceURL=https://corp.sharepoint.com/sites/x;ClientID=app;TokenURI=" + tokenURL, "rt",
		func(c *Config) { c.AccessToken, c.ClientID, c.TokenURI, c.RefreshToken = "", "app", tokenURL, "rt" }},
	"Scope":           {base, "AllSites.Read", func(c *Config) { c.Scope = "AllSites.Read" }},
	"TokenURI":        {base, tokenURL, func(c *Config) { c.TokenURI = tokenURL }},
	"AuditColumns":    {base, "All", func(c *Config) { c.AuditColumns = AuditColumnsAll }},
	"ProxyHost":       {base, "proxy.corp", func(c *Config) { c.ProxyHost = "proxy.corp" }},
	"ProxyPort":       {base + ";ProxyHost=proxy.corp", "3128", func(c *Config) { c.ProxyHost, c.ProxyPort = "proxy.corp", 3128 }},
	"ProxyUser":       {base + ";ProxyHost=proxy.corp", "me", func(c *Config) { c.ProxyHost, c.ProxyUser = "proxy.corp", "me" }},
	"ProxyPassword":   {base + ";ProxyHost=proxy.corp;ProxyUser=me", "pw", func(c *Config) { c.ProxyHost, c.ProxyUser, c.ProxyPassword = "proxy.corp", "me", "pw" }},
	"WSFetchSize":     {base, "50", func(c *Config) { c.FetchSize = 50 }},
	"WSRetryCount":    {base, "7", func(c *Config) { c.RetryCount = 7 }},
	"WSTimeout":       {base, "45", func(c *Config) { c.Timeout = 45 * time.Second }},
	"LoginTimeout":    {base, "12", func(c *Config) { c.LoginTimeout = 12 * time.Second }},
	"TransactionMode": {base, "1", func(c *Config) { c.TransactionMode = TransactionModeIgnore }},
}

// TestODBCAttributes checks every row of the documented-attribute table:
// each long and short name is accepted by ParseDSN, an implemented or
// mapped one sets its property, an ignored one changes nothing but is
// remembered for the connector's one Debug line.
func TestODBCAttributes(t *testing.T) {
	writeIni(t, "[src]\n"+strings.ReplaceAll(base, ";", "\n")+"\n")
	seenLong, seenShort := map[string]bool{}, map[string]bool{}
	for _, a := range odbcAttributes {
		if seenLong[strings.ToLower(a.long)] {
			t.Errorf("%s is in the table twice", a.long)
		}
		seenLong[strings.ToLower(a.long)] = true
		if a.short != "" {
			if seenShort[strings.ToLower(a.short)] {
				t.Errorf("short name %s is in the table twice", a.short)
			}
			seenShort[strings.ToLower(a.short)] = true
			if _, ok := lookupProperty(a.short); ok && a.use == attrIgnored {
				t.Errorf("short name %s of an ignored attribute is an spsql property", a.short)
			}
			for _, p := range properties {
				if strings.EqualFold(p.name, a.short) {
					t.Errorf("short name %s of %s is spsql's property %s", a.short, a.long, p.name)
				}
			}
		}
		if a.source == "" || a.group == "" {
			t.Errorf("%s: no source page or group", a.long)
		}
		checkBasis(t, a)
		names := []string{a.long, strings.ToLower(a.long)}
		if a.short != "" {
			names = append(names, a.short, strings.ToUpper(a.short))
		}
		for _, name := range names {
			t.Run(a.long+"/"+name, func(t *testing.T) {
				switch {
				case isDSNKey(canonicalKey(name)) || isDSNKey(name):
					got, err := ParseDSN(name + "=src")
					if err != nil {
						t.Fatalf("ParseDSN: %v", err)
					}
					if !reflect.DeepEqual(got, baseConfig(nil)) {
						t.Errorf("got %v, want the [src] section", got)
					}
				case a.use == attrIgnored:
					if a.why == "" {
						t.Fatal("an ignored attribute needs the reason it is ignored")
					}
					got, err := ParseDSN(base + ";" + name + "=1")
					if err != nil {
						t.Fatalf("ParseDSN: %v", err)
					}
					if !reflect.DeepEqual(got.ignored, []string{a.long}) {
						t.Errorf("ignored = %q, want [%s]", got.ignored, a.long)
					}
					got.ignored = nil
					if !reflect.DeepEqual(got, baseConfig(nil)) {
						t.Errorf("an ignored attribute changed the Config: %v", got)
					}
				default:
					key := a.long
					if a.use == attrMapped {
						key = a.equivalent
					}
					if _, ok := lookupProperty(key); !ok {
						t.Fatalf("no spsql property %s", key)
					}
					tc, ok := implementedCases[a.long]
					if !ok {
						t.Fatalf("no test case for %s", a.long)
					}
					got, err := ParseDSN(tc.rest + ";" + name + "=" + tc.value)
					if err != nil {
						t.Fatalf("ParseDSN: %v", err)
					}
					want := baseConfig(tc.want)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("got  %v\nwant %v", got, want)
					}
				}
			})
		}
	}
}

// A short name is an alias of its long name: both together are one
// property given twice, as with the long name given twice.
func TestODBCShortNameIsTheSameKey(t *testing.T) {
	_, err := ParseDSN(base + ";surl=https://corp.sharepoint.com/sites/y")
	if err == nil || !strings.Contains(err.Error(), "ServiceURL is given twice") {
		t.Errorf("err = %v, want ServiceURL given twice", err)
	}
}

// Keys outside the table are still refused, with a suggestion.
func TestODBCUnknownKeyStillRefused(t *testing.T) {
	_, err := ParseDSN(base + ";SchemaMapp=x")
	if !errors.Is(err, ErrUnknownProperty) || !strings.Contains(err.Error(), `did you mean`) {
		t.Errorf("err = %v, want an unknown-property error with a suggestion", err)
	}
	_, err = ParseDSN(base + ";NoSuchOption=1")
	if !errors.Is(err, ErrUnknownProperty) {
		t.Errorf("err = %v, want ErrUnknownProperty", err)
	}
}

// The connector says once, at Debug level, which attributes it ignores and
// why; the Config never carries their values.
func TestODBCIgnoredAttributeLoggedOnce(t *testing.T) {
	cfg, err := ParseDSN(base + ";WSPoolSize=4;SchemaMap=/tmp/x.config")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := NewConnector(cfg, WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer c.(*Connector).Close()
	out := buf.String()
	for _, name := range []string{"WSPoolSize", "SchemaMap"} {
		if n := strings.Count(out, "property="+name+" "); n != 1 {
			t.Errorf("%s logged %d times, want once:\n%s", name, n, out)
		}
	}
	if !strings.Contains(out, "reason=") || strings.Contains(out, "/tmp/x.config") {
		t.Errorf("the Debug line should give a reason and no value:\n%s", out)
	}
}

// TestODBCAttributesDoc keeps docs/odbc-attributes.md in step with the
// table (go test -run TestODBCAttributesDoc -update . rewrites it).
func TestODBCAttributesDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString(`# Connection attributes of the DataDirect SharePoint ODBC driver

Generated by ` + "`go test -run TestODBCAttributesDoc -update .`" + ` from the
table in ` + "`odbc_attributes.go`" + `, which ParseDSN uses; do not edit by hand.

spsql accepts the connection strings and ` + "`odbc.ini`" + ` sections written for
the Progress DataDirect for ODBC for Microsoft SharePoint 8.0 driver. Every
attribute below is accepted under its long name and, where one is listed,
its short name, in any letter case (` + "`surl=`" + ` works wherever
` + "`ServiceURL=`" + ` does). What spsql does with it:

- **implemented**: spsql has a property of the same name (see README.md).
- **ignored**: accepted and has no effect; the connector logs it once, at
  Debug level, with the reason given here.

Keys in neither the table nor README.md are refused, with a suggestion of
the closest known key.

The DataDirect SharePoint JDBC 6.0 driver's properties carry the same long
names (its guide's [Connection property descriptions](` + ddJDBCProps + `)),
and a connection URL written for it is accepted as it stands: the
` + "`jdbc:datadirect:sharepoint:`" + ` prefix of its [connection
URL](` + ddJDBC + `Passing-the-connection-URL.html) is dropped and the
key=value pairs after it are read as a connection string. The JDBC
driver's own properties are in the groups marked JDBC below.

The groups follow the driver's summary page, [Connection option
descriptions](` + ddSummary + `),
whose General and OAuth 2.0 tables could be read; its Mapping, SQL Engine,
Proxy server, Web service and Additional tables could not (the stored copies
searched end inside the Mapping table). The rows of those groups were
confirmed one by one from the option pages that could be found. The column
"Confirmed from" says where each long name was read:

- **SharePoint ODBC 8.0 guide**: the SharePoint driver's own option page,
  summary table, or connection-string example.
- **SharePoint JDBC 6.0 guide**: the SharePoint JDBC driver's pages (keys
  users bring from JDBC connection URLs).
- **sibling DataDirect guide**: only the same option's page in another
  DataDirect 8.0 ODBC (or 6.0 JDBC) guide was found; the option families
  are shared across DataDirect's cloud drivers, but the SharePoint driver's
  own page for it was not found.

Where DataDirect's guides disagree on a short name (LogConfigFile is ` + "`lcf`" + `
in older 8.0 guides and ` + "`lgcf`" + ` in the newer ones, JVMClassPath ` + "`jvmc`" + ` and
` + "`jvmcp`" + `), the row follows the newer cloud-driver guides (Aha!, Salesforce,
Autonomous REST 8.0), which share the SharePoint guide's conventions. A
short name read from a different page than the long name cites that page
in "Short name from". Short names not found on any page are left blank.

The SharePoint guide's own option pages found: Service URL, Authentication
Method, Refresh Token, Scope, Token URI, Proxy User, Proxy Password, Audit
Columns, Create Map and Application Using Threads; its proxy and OAuth
connection-string examples; and the General and OAuth 2.0 summary tables.
Searched without finding the SharePoint guide's own page: Schema Map, Config
Options, SQL Engine Mode, JVM Arguments, JVM Classpath, Server Port Number,
Proxy Host, Proxy Port, the four Web Service options, Log Config File, Login
Timeout, Transaction Mode, Initialization String, Connection Retry Count and
Delay, IANAAppCodePage, Report Codepage Conversion Errors, Statement Call
Limit (and Behavior), and the JDBC guide's statement-pooling table.

| Attribute | Short name | Group | spsql | Why ignored | Confirmed from | Source | Short name from |
|---|---|---|---|---|---|---|---|
`)
	counts := map[attributeUse]int{}
	byBasis := map[basis]int{}
	for _, a := range odbcAttributes {
		counts[a.use]++
		byBasis[a.basis]++
		short := a.short
		if short != "" {
			short = "`" + short + "`"
		}
		use := a.use.String()
		if a.use == attrMapped {
			use += " to `" + a.equivalent + "`"
		}
		shortFrom := ""
		if a.shortSource != "" {
			shortFrom = fmt.Sprintf("[%s](%s)", pageName(a.shortSource), a.shortSource)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | [%s](%s) | %s |\n",
			a.long, short, a.group, use, a.why, a.basis, pageName(a.source), a.source, shortFrom)
	}
	fmt.Fprintf(&b, "\n%d attributes: %d implemented, %d mapped, %d ignored.\n",
		len(odbcAttributes), counts[attrImplemented], counts[attrMapped], counts[attrIgnored])
	fmt.Fprintf(&b, "Long names confirmed from the SharePoint ODBC 8.0 guide: %d; from the SharePoint JDBC 6.0 guide: %d; from a sibling DataDirect guide only: %d.\n",
		byBasis[onSharePointODBC], byBasis[onSharePointJDBC], byBasis[onSibling])
	const path = "docs/odbc-attributes.md"
	// -update is declared by the external test package (catalogue_test.go),
	// which is built into the same test binary.
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestODBCAttributesDoc -update .)", err)
	}
	if string(got) != b.String() {
		t.Errorf("%s is out of date with odbcAttributes; run go test -run TestODBCAttributesDoc -update .", path)
	}
}

// pageName is a documentation URL shortened for the table: the bundle and
// page of a docs.progress.com page, else the host and path.
func pageName(u string) string {
	if i := strings.Index(u, "/bundle/"); i >= 0 {
		return u[i+len("/bundle/"):]
	}
	return strings.TrimPrefix(u, "https://")
}

// checkBasis checks that a row's pages agree with what it claims: a long
// name confirmed by the SharePoint ODBC guide cites a page of that guide,
// one from a sibling guide cites another guide, and a short name read
// elsewhere cites that page.
func checkBasis(t *testing.T, a odbcAttribute) {
	t.Helper()
	sharePointODBC := strings.HasPrefix(a.source, ddBase)
	switch a.basis {
	case onSharePointODBC:
		if !sharePointODBC {
			t.Errorf("%s: confirmed from the SharePoint ODBC guide but cites %s", a.long, a.source)
		}
	case onSharePointJDBC:
		if !strings.HasPrefix(a.source, ddJDBC) && a.source != ddJDBCNews {
			t.Errorf("%s: confirmed from the SharePoint JDBC guide but cites %s", a.long, a.source)
		}
	case onSibling:
		if sharePointODBC || strings.HasPrefix(a.source, ddJDBC) || !strings.HasPrefix(a.source, "https://docs.progress.com/") {
			t.Errorf("%s: from a sibling guide but cites %s", a.long, a.source)
		}
	}
	if a.shortSource != "" && (a.short == "" || a.shortSource == a.source || strings.HasPrefix(a.shortSource, ddBase)) {
		t.Errorf("%s: shortSource %q should name the sibling page a short name came from", a.long, a.shortSource)
	}
}

func TestODBCShortNamesOfSecretsStaySecret(t *testing.T) {
	base := "ServiceURL=https://corp.sharepoint.com/sites/x;TokenURI=https://login.microsoftonline.com/t/oauth2/v2.0/token;ClientID=c;RefreshToken=r;ProxyHost=proxy.example.com;ProxyPort=8080;ProxyUser=u;"
	for _, key := range []string{"clse", "atok", "pxpw"} {
		cfg, err := ParseDSN(base + key + "=s3cr3tValue")
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		for _, out := range []string{cfg.String(), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
			if strings.Contains(out, "s3cr3tValue") {
				t.Errorf("%s: the secret is printed: %s", key, out)
			}
		}
		if !strings.Contains(cfg.FormatDSN(), "s3cr3tValue") {
			t.Errorf("%s: the value was not read as its long name's", key)
		}
	}
}

// A connection URL written for the DataDirect SharePoint JDBC driver
// parses as the connection string after its prefix, with the JDBC
// driver's property names (and the attributes both drivers share).
func TestJDBCConnectionURL(t *testing.T) {
	url := "jdbc:datadirect:sharepoint:ServiceURL=https://corp.sharepoint.com/sites/x;ClientID=app;" +
		"ClientSecret=s3cret;TokenURI=" + tokenURL + ";RefreshToken=rt;SpyAttributes=(log=(file)/tmp/spy.log);MaxPooledStatements=10"
	for _, u := range []string{url, "  JDBC:DataDirect:SharePoint:" + strings.TrimPrefix(url, "jdbc:datadirect:sharepoint:")} {
		got, err := ParseDSN(u)
		if err != nil {
			t.Fatalf("ParseDSN(%q): %v", u, err)
		}
		if got.ServiceURL != "https://corp.sharepoint.com/sites/x" || got.ClientID != "app" || got.RefreshToken != "rt" ||
			!reflect.DeepEqual(got.ignored, []string{"SpyAttributes", "MaxPooledStatements"}) {
			t.Errorf("ParseDSN(%q) = %v, ignored %q", u, got, got.ignored)
		}
	}
	// Another driver's URL is not taken for SharePoint's.
	if _, err := ParseDSN("jdbc:datadirect:sforce:ServiceURL=https://corp.sharepoint.com/sites/x;AccessToken=t"); err == nil {
		t.Error("a Salesforce JDBC URL was accepted")
	}
}
