package spsql

import "strings"

// attributeUse says what spsql does with a documented attribute of the
// Progress DataDirect SharePoint ODBC 8.0 driver.
type attributeUse int

const (
	attrImplemented attributeUse = iota // an spsql property of the same name
	attrMapped                          // read into the spsql property named by equivalent
	attrIgnored                         // accepted, logged once at Debug level, no effect
)

func (u attributeUse) String() string {
	switch u {
	case attrImplemented:
		return "implemented"
	case attrMapped:
		return "mapped"
	default:
		return "ignored"
	}
}

// odbcAttribute is one connection attribute documented for the DataDirect
// SharePoint ODBC 8.0 driver: its long name, its short name ("" where the
// documentation read gave none) and what spsql does with it.
type odbcAttribute struct {
	long, short string
	group       string
	source      string // documentation page the names come from
	use         attributeUse
	equivalent  string // attrMapped: the spsql property it sets
	why         string // attrIgnored: why it has no effect here
}

const (
	ddBase      = "https://docs.progress.com/bundle/datadirect-microsoft-sharepoint-odbc-80/page/"
	ddSummary   = ddBase + "Connection-option-descriptions.html"
	ddAuthCode  = ddBase + "OAuth-2.0-dynamic-authorization-code-grant.html"
	ddLogon     = ddBase + "Using-a-logon-dialog-box.html"
	ddProxy     = ddBase + "Proxy-server.html"
	ddSibling80 = "https://docs.progress.com/bundle/"
)

// odbcAttributes is the table of documented attributes. ParseDSN accepts
// every long and short name in it (short names resolve through
// canonicalKey), docs/odbc-attributes.md is generated from it, and
// TestODBCAttributes checks every row.
var odbcAttributes = []odbcAttribute{
	// General
	{long: "DataSourceName", short: "dsn", group: "General", source: ddSummary, use: attrImplemented},
	{long: "Description", short: "desc", group: "General", source: ddSummary, use: attrIgnored,
		why: "a free-text label for the data source"},
	{long: "ServiceURL", short: "surl", group: "General", source: ddBase + "Service-URL.html", use: attrImplemented},
	{long: "AuthenticationMethod", short: "am", group: "General", source: ddBase + "Authentication-Method.html", use: attrImplemented},

	// OAuth 2.0 authentication
	{long: "AccessToken", short: "atok", group: "OAuth 2.0 authentication", source: ddSummary, use: attrImplemented},
	{long: "AuthURI", short: "o2au", group: "OAuth 2.0 authentication", source: ddSummary, use: attrImplemented},
	{long: "ClientID", short: "cid", group: "OAuth 2.0 authentication", source: ddSummary, use: attrImplemented},
	{long: "ClientSecret", short: "clse", group: "OAuth 2.0 authentication", source: ddSummary, use: attrImplemented},
	{long: "EnableLoginPrompt", short: "elp", group: "OAuth 2.0 authentication", source: ddSummary, use: attrImplemented},
	{long: "RedirectURI", short: "o2ru", group: "OAuth 2.0 authentication", source: ddSummary, use: attrImplemented},
	{long: "RefreshToken", short: "rtok", group: "OAuth 2.0 authentication", source: ddBase + "Refresh-Token.html", use: attrImplemented},
	{long: "Scope", short: "oas", group: "OAuth 2.0 authentication", source: ddBase + "Scope.html", use: attrImplemented},
	{long: "TokenURI", short: "o2tu", group: "OAuth 2.0 authentication", source: ddBase + "Token-URI.html", use: attrImplemented},

	// Mapping
	{long: "AuditColumns", group: "Mapping", source: ddSummary, use: attrImplemented},
	{long: "CreateMap", group: "Mapping", source: ddSummary, use: attrIgnored,
		why: "spsql keeps no relational map file: it reads each list's fields from SharePoint when a statement needs them"},
	{long: "SchemaMap", group: "Mapping", source: ddSummary, use: attrIgnored,
		why: "spsql keeps no relational map file: it reads each list's fields from SharePoint when a statement needs them"},

	// SQL Engine
	{long: "SQLEngineMode", group: "SQL Engine", source: ddAuthCode, use: attrIgnored,
		why: "spsql's SQL engine always runs in the program's own process"},
	{long: "ServerPortNumber", short: "sport", group: "SQL Engine",
		source: ddSibling80 + "datadirect-microsoft-dynamics-365-odbc-80/page/Server-Port-Number.html", use: attrIgnored,
		why: "there is no separate SQL engine server to connect to"},

	// Proxy server
	{long: "ProxyHost", short: "pxhn", group: "Proxy server", source: ddSibling80 + "datadirect-salesforce-odbc-80/page/Proxy-Host.html", use: attrImplemented},
	{long: "ProxyPassword", short: "pxpw", group: "Proxy server", source: ddBase + "Proxy-Password.html", use: attrImplemented},
	{long: "ProxyPort", short: "pxpt", group: "Proxy server", source: ddSibling80 + "datadirect-microsoft-sql-server-odbc-80/page/Proxy-Port.html", use: attrImplemented},
	{long: "ProxyUser", short: "pxun", group: "Proxy server", source: ddBase + "Proxy-User.html", use: attrImplemented},

	// Web service
	{long: "WSFetchSize", short: "wsfs", group: "Web service",
		source: ddSibling80 + "datadirect-aha-odbc-80/page/Web-Service-Fetch-Size.html", use: attrImplemented},
	{long: "WSRetryCount", short: "wsrc", group: "Web service",
		source: ddSibling80 + "datadirect-teamcity-odbc-80/page/Web-Service-Retry-Count.html", use: attrImplemented},
	{long: "WSTimeout", short: "wst", group: "Web service",
		source: ddSibling80 + "datadirect-github-odbc-80/page/Web-Service-Timeout.html", use: attrImplemented},
	{long: "WSPoolSize", group: "Web service", source: ddSummary, use: attrIgnored,
		why: "Go's HTTP transport pools connections itself; ParallelRequests bounds the requests in flight"},

	// Additional
	{long: "ApplicationUsingThreads", group: "Additional", source: ddSummary, use: attrIgnored,
		why: "the driver is always safe for concurrent use"},
	{long: "ConfigOptions", group: "Additional", source: ddSummary, use: attrIgnored,
		why: "it configures the DataDirect relational map, which spsql does not have"},
	{long: "ConnectionRetryCount", group: "Additional", source: ddSummary, use: attrIgnored,
		why: "WSRetryCount and LoginTimeout govern spsql's retries"},
	{long: "ConnectionRetryDelay", group: "Additional", source: ddSummary, use: attrIgnored,
		why: "WSRetryCount and LoginTimeout govern spsql's retries and their waits"},
	{long: "DefaultLongDataBuffLen", group: "Additional", source: ddSummary, use: attrIgnored,
		why: "Go's database/sql has no long-data buffers"},
	{long: "IANAAppCodePage", short: "iacp", group: "Additional",
		source: ddSibling80 + "datadirect-microsoft-sql-server-odbc-80/page/IANAAppCodePage.html", use: attrIgnored,
		why: "Go strings are UTF-8; there is no code page to convert to"},
	{long: "InitializationString", group: "Additional", source: ddSummary, use: attrIgnored,
		why: "SharePoint has no session statements to run at connect time"},
	{long: "LogConfigFile", group: "Additional", source: ddSummary, use: attrIgnored,
		why: "spsql logs through the *slog.Logger given with WithLogger"},
	{long: "LoginTimeout", group: "Additional", source: ddSummary, use: attrImplemented},
	{long: "ReportCodepageConversionErrors", group: "Additional", source: ddSummary, use: attrIgnored,
		why: "Go strings are UTF-8; no code page conversion happens"},
	{long: "StmtCallLimit", group: "Additional", source: ddSummary, use: attrIgnored,
		why: "spsql does not limit the web service calls of a statement; MaxMemoryRows bounds its memory"},
	{long: "StmtCallLimitBehavior", group: "Additional", source: ddSummary, use: attrIgnored,
		why: "spsql does not limit the web service calls of a statement (see StmtCallLimit)"},
	{long: "TransactionMode", group: "Additional", source: ddSibling80 + "datadirect-google-analytics-4-odbc-80/page/Transaction-Mode.html", use: attrImplemented},
}

// canonicalKey is the one place connection keys are normalised: a short
// name of a documented attribute becomes its long name, so "surl=" works
// wherever "ServiceURL=" does. Other keys are returned unchanged.
func canonicalKey(key string) string {
	for i := range odbcAttributes {
		a := &odbcAttributes[i]
		if a.short != "" && strings.EqualFold(a.short, key) {
			return a.long
		}
	}
	return key
}

// ignoredAttribute returns the table row of an attribute accepted and
// ignored, by long or short name.
func ignoredAttribute(key string) (*odbcAttribute, bool) {
	key = canonicalKey(key)
	for i := range odbcAttributes {
		a := &odbcAttributes[i]
		if a.use == attrIgnored && strings.EqualFold(a.long, key) {
			return a, true
		}
	}
	return nil, false
}

// logIgnored writes, once for a connector, a Debug line per ignored
// attribute the configuration carried, saying why it has no effect.
func logIgnored(logger interface {
	Debug(msg string, args ...any)
}, names []string) {
	for _, name := range names {
		if a, ok := ignoredAttribute(name); ok {
			logger.Debug("spsql: connection property accepted and ignored",
				"property", a.long, "reason", a.why)
		}
	}
}
