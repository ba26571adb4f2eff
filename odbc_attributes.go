package spsql

import (
	"strings"
	"unicode"
)

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

// basis says where an attribute's long name was read: the SharePoint
// driver's own documentation, or the same option in a sibling DataDirect
// guide (the option families are shared across DataDirect's cloud drivers).
type basis int

const (
	// onSharePointODBC: a page of the SharePoint ODBC 8.0 guide (the
	// option's own page, the summary page's General and OAuth 2.0 tables,
	// or a connection-string example) gives the attribute.
	onSharePointODBC basis = iota
	// onSharePointJDBC: a page of the SharePoint JDBC 6.0 guide or its
	// release history gives the property (keys users bring from JDBC URLs).
	onSharePointJDBC
	// onSibling: only the same option's page in another DataDirect 8.0
	// ODBC (or 6.0 JDBC) guide could be read.
	onSibling
)

func (b basis) String() string {
	switch b {
	case onSharePointODBC:
		return "SharePoint ODBC 8.0 guide"
	case onSharePointJDBC:
		return "SharePoint JDBC 6.0 guide"
	default:
		return "sibling DataDirect guide"
	}
}

// odbcAttribute is one connection attribute documented for the DataDirect
// SharePoint ODBC 8.0 driver (or its JDBC 6.0 sibling): its long name, its
// short name ("" where no page read gave one) and what spsql does with it.
type odbcAttribute struct {
	long, short string
	group       string
	source      string // documentation page the long name comes from
	basis       basis  // which guide source belongs to
	shortSource string // page the short name comes from, when not source
	use         attributeUse
	equivalent  string // attrMapped: the spsql property it sets
	why         string // attrIgnored: why it has no effect here
}

const (
	ddBase       = "https://docs.progress.com/bundle/datadirect-microsoft-sharepoint-odbc-80/page/"
	ddSummary    = ddBase + "Connection-option-descriptions.html"
	ddAuthCode   = ddBase + "OAuth-2.0-dynamic-authorization-code-grant.html"
	ddProxy      = ddBase + "Proxy-server.html"
	ddJDBC       = "https://docs.progress.com/bundle/datadirect-microsoft-sharepoint-jdbc-60/page/"
	ddJDBCProps  = ddJDBC + "Connection-property-descriptions.html"
	ddJDBCNews   = "https://www.progress.com/jdbc/release-history/microsoft-sharepoint"
	ddSibling    = "https://docs.progress.com/bundle/"
	ddSalesforce = ddSibling + "datadirect-salesforce-odbc-80/page/"
	ddPooling    = ddSibling + "datadirect-salesforce-jdbc-60/page/Statement-Pooling-Properties.html"
)

// Reasons shared by several ignored attributes.
const (
	whyNoMap      = "spsql keeps no relational map file: it reads each list's fields from SharePoint when a statement needs them"
	whyNoJVM      = "spsql's SQL engine is Go code in the program's own process: there is no JVM or SQL engine server"
	whyNoStmtPool = "database/sql keeps prepared statements itself, and an spsql statement holds nothing on the server worth pooling"
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
	{long: "AuditColumns", short: "audc", group: "Mapping", source: ddBase + "Audit-Columns.html", use: attrImplemented},
	{long: "CreateMap", short: "cm", group: "Mapping", source: ddBase + "Create-Map.html", use: attrIgnored, why: whyNoMap},
	// The SharePoint Create Map page names "the Schema Map (SchemaMap) option".
	{long: "SchemaMap", short: "smp", group: "Mapping", source: ddBase + "Create-Map.html",
		shortSource: ddSalesforce + "Schema-Map.html", use: attrIgnored, why: whyNoMap},
	{long: "ConfigOptions", short: "co", group: "Mapping", source: ddSibling + "datadirect-mongodb-odbc-80/page/Config-options.html",
		basis: onSibling, use: attrIgnored,
		why: "it configures the DataDirect relational map, which spsql does not have"},

	// SQL Engine
	{long: "SQLEngineMode", short: "sem", group: "SQL Engine", source: ddAuthCode,
		shortSource: ddSalesforce + "SQL-Engine-Mode.html", use: attrIgnored, why: whyNoJVM},
	{long: "JVMArgs", short: "jvma", group: "SQL Engine",
		source: ddSibling + "datadirect-microsoft-dynamics-365-odbc-80/page/JVM-Arguments.html", basis: onSibling,
		use: attrIgnored, why: whyNoJVM},
	{long: "JVMClassPath", short: "jvmcp", group: "SQL Engine",
		source: ddSibling + "datadirect-aha-odbc-80/page/JVM-Classpath.html", basis: onSibling,
		use: attrIgnored, why: whyNoJVM},
	{long: "ServerPortNumber", short: "sport", group: "SQL Engine",
		source: ddSibling + "datadirect-microsoft-dynamics-365-odbc-80/page/Server-Port-Number.html", basis: onSibling,
		use: attrIgnored, why: "there is no separate SQL engine server to connect to"},

	// Proxy server: the SharePoint guide's proxy connection-string example
	// gives all four long names.
	{long: "ProxyHost", short: "pxhn", group: "Proxy server", source: ddProxy,
		shortSource: ddSalesforce + "Proxy-Host.html", use: attrImplemented},
	{long: "ProxyPassword", short: "pxpw", group: "Proxy server", source: ddBase + "Proxy-Password.html", use: attrImplemented},
	{long: "ProxyPort", short: "pxpt", group: "Proxy server", source: ddProxy,
		shortSource: ddSibling + "datadirect-microsoft-sql-server-odbc-80/page/Proxy-Port.html", use: attrImplemented},
	{long: "ProxyUser", short: "pxun", group: "Proxy server", source: ddBase + "Proxy-User.html", use: attrImplemented},

	// Web service
	{long: "WSFetchSize", short: "wsfs", group: "Web service", source: ddSalesforce + "Web-Service-Fetch-Size.html",
		basis: onSibling, use: attrImplemented},
	{long: "WSRetryCount", short: "wsrc", group: "Web service", source: ddSalesforce + "Web-Service-Retry-Count.html",
		basis: onSibling, use: attrImplemented},
	{long: "WSTimeout", short: "wst", group: "Web service", source: ddSalesforce + "Web-Service-Timeout.html",
		basis: onSibling, use: attrImplemented},
	{long: "WSPoolSize", short: "wsps", group: "Web service",
		source: ddSibling + "datadirect-autonomous-rest-connector-odbc-80/page/Web-Service-Pool-Size.html", basis: onSibling,
		use: attrIgnored, why: "Go's HTTP transport pools connections itself; ParallelRequests bounds the requests in flight"},

	// Additional
	{long: "ApplicationUsingThreads", short: "aut", group: "Additional", source: ddBase + "Application-Using-Threads.html",
		use: attrIgnored, why: "the driver is always safe for concurrent use"},
	{long: "ConnectionRetryCount", short: "crc", group: "Additional",
		source: "https://docs.progress.com/ru-RU/bundle/datadirect-salesforce-odbc-80/page/Connection-Retry-Count.html", basis: onSibling,
		use: attrIgnored, why: "WSRetryCount and LoginTimeout govern spsql's retries"},
	{long: "ConnectionRetryDelay", short: "crd", group: "Additional", source: ddSalesforce + "Connection-Retry-Delay.html", basis: onSibling,
		use: attrIgnored, why: "WSRetryCount and LoginTimeout govern spsql's retries and their waits"},
	{long: "DefaultLongDataBuffLen", short: "dldbl", group: "Additional",
		source: ddSibling + "datadirect-apache-spark-sql-odbc-80/page/Default-Buffer-Size-for-LongLOB-Columns-in-Kb.html", basis: onSibling,
		use: attrIgnored, why: "Go's database/sql has no long-data buffers"},
	{long: "IANAAppCodePage", short: "iacp", group: "Additional",
		source: ddSibling + "datadirect-microsoft-dynamics-365-odbc-80/page/IANAAppCodePage.html", basis: onSibling,
		use: attrIgnored, why: "Go strings are UTF-8; there is no code page to convert to"},
	{long: "InitializationString", short: "is", group: "Additional", source: ddSalesforce + "Initialization-String.html", basis: onSibling,
		use: attrIgnored, why: "SharePoint has no session statements to run at connect time"},
	{long: "LogConfigFile", short: "lgcf", group: "Additional", source: ddSibling + "datadirect-aha-odbc-80/page/Log-Config-File.html",
		basis: onSibling, use: attrIgnored, why: "spsql logs through the *slog.Logger given with WithLogger"},
	{long: "LoginTimeout", short: "lt", group: "Additional",
		source: "https://docs.progress.com/ru-RU/bundle/datadirect-salesforce-odbc-80/page/Login-Timeout.html", basis: onSibling,
		use: attrImplemented},
	{long: "ReportCodepageConversionErrors", short: "rcce", group: "Additional",
		source: ddSibling + "datadirect-github-odbc-80/page/Report-Codepage-Conversion-Errors.html", basis: onSibling,
		use: attrIgnored, why: "Go strings are UTF-8; no code page conversion happens"},
	{long: "StmtCallLimit", short: "scl", group: "Additional",
		source: ddSibling + "datadirect-autonomous-rest-connector-odbc-80/page/Statement-Call-Limit.html", basis: onSibling,
		use: attrIgnored, why: "spsql does not limit the web service calls of a statement; MaxMemoryRows bounds its memory"},
	{long: "StmtCallLimitBehavior", short: "sclb", group: "Additional",
		source: ddSibling + "datadirect-aha-odbc-80/page/Statement-Call-Limit-Behavior.html", basis: onSibling,
		use: attrIgnored, why: "spsql does not limit the web service calls of a statement (see StmtCallLimit)"},
	{long: "TransactionMode", short: "tm", group: "Additional",
		source: ddSibling + "datadirect-google-analytics-4-odbc-80/page/Transaction-Mode.html", basis: onSibling, use: attrImplemented},

	// Keys of the SharePoint JDBC 6.0 driver that its ODBC sibling does not
	// document, brought in connection strings written for JDBC. (Its other
	// properties have the ODBC attributes' long names.)
	{long: "SpyAttributes", group: "JDBC", source: ddJDBCNews, basis: onSharePointJDBC, use: attrIgnored,
		why: "DataDirect Spy traces JDBC calls; spsql logs through the *slog.Logger given with WithLogger"},
	// The SharePoint JDBC guide has a "Statement pooling properties" table
	// (its rows could not be read); the names are the DataDirect JDBC
	// family's, as in the Salesforce JDBC 6.0 guide.
	{long: "MaxPooledStatements", group: "JDBC statement pooling", source: ddPooling, basis: onSibling,
		use: attrIgnored, why: whyNoStmtPool},
	{long: "ImportStatementPool", group: "JDBC statement pooling", source: ddPooling, basis: onSibling,
		use: attrIgnored, why: whyNoStmtPool},
	{long: "RegisterStatementPoolMonitorMBean", group: "JDBC statement pooling", source: ddPooling, basis: onSibling,
		use: attrIgnored, why: whyNoStmtPool},
}

// jdbcURLPrefix starts the connection URL of the DataDirect SharePoint
// JDBC 6.0 driver, jdbc:datadirect:sharepoint:ServiceURL=…;ClientID=…
// (ddJDBC "Passing-the-connection-URL.html"); its properties follow as
// key=value pairs separated by ';', as in an ODBC connection string.
const jdbcURLPrefix = "jdbc:datadirect:sharepoint:"

// trimJDBCURL drops the JDBC driver's URL prefix, so that a connection URL
// written for it parses as the connection string it carries.
func trimJDBCURL(dsn string) string {
	t := strings.TrimLeftFunc(dsn, unicode.IsSpace)
	if len(t) >= len(jdbcURLPrefix) && strings.EqualFold(t[:len(jdbcURLPrefix)], jdbcURLPrefix) {
		return t[len(jdbcURLPrefix):]
	}
	return dsn
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
